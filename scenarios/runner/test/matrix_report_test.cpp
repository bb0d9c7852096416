#include "matrix_report.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::matrix_report;
using mrb::scenarios::scenario_result;

TEST(matrix_report, one_row_per_scenario_and_reasons_for_non_passes) {
  scenario_result pass, fail;
  pass.suite = fail.suite = "streaming";
  pass.name = fail.name = "cut_stream";
  pass.seed_defect = fail.seed_defect = "hang after cut stream";
  pass.outcome = "pass";
  fail.outcome = "fail";
  fail.reason = "client[r1]: expected end [\"eof\",\"reset\"], got timeout | pipe";
  auto md = matrix_report::markdown({{"ours", {pass}}, {"seed", {fail}}}, "cmd", "now");
  EXPECT_NE(md.find("| streaming | [cut_stream](../scenarios/streaming/cut_stream.json) | hang after cut stream | pass | **FAIL** |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("### seed"), std::string::npos);
  EXPECT_NE(md.find("got timeout / pipe"), std::string::npos);  // pipes escaped in cells
  EXPECT_EQ(md.find("### ours"), std::string::npos);             // nothing to explain
}
