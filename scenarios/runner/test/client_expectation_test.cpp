#include "client_expectation.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::client_expectation;
using mrb::scenarios::exchange_record;
using nlohmann::json;

namespace {

exchange_record streamed(int events, double gap) {
  exchange_record r;
  r.id = "r";
  r.got_head = true;
  r.status = 200;
  r.t_head_ms = 1;
  r.headers = {{"Content-Type", "text/event-stream"}};
  for (int i = 0; i < events; ++i) r.events.push_back({1 + gap * (i + 1), {"", "e" + std::to_string(i)}});
  r.events.push_back({1 + gap * (events + 1), {"", "[DONE]"}});
  r.complete = true;
  r.end = "complete";
  return r;
}

std::vector<std::string> check(const json& e, const exchange_record& r) {
  std::vector<std::string> f;
  client_expectation::check(e, r, f);
  return f;
}

}  // namespace

TEST(client_expectation, status_headers_and_completion) {
  auto r = streamed(3, 10);
  EXPECT_TRUE(check({{"status", 200}, {"headers", {{"content-type", "text/event-stream"}}}, {"complete", true}}, r).empty());
  EXPECT_EQ(check({{"status", 502}}, r).size(), 1u);
  EXPECT_EQ(check({{"headers_absent", {"content-type"}}}, r).size(), 1u);
  EXPECT_EQ(check({{"status", {200, 204}}}, r).size(), 0u);
}

TEST(client_expectation, sse_count_done_and_timing) {
  auto r = streamed(3, 50);
  EXPECT_TRUE(check({{"sse", {{"count", 4}, {"done", true}, {"max_gap_ms", 60}, {"spread_ms", 100}}}}, r).empty());
  EXPECT_EQ(check({{"sse", {{"max_gap_ms", 20}}}}, r).size(), 1u);
  EXPECT_EQ(check({{"sse", {{"spread_ms", 1000}}}}, r).size(), 1u);
  r.events.pop_back();
  EXPECT_EQ(check({{"sse", {{"done", true}}}}, r).size(), 1u);
}

TEST(client_expectation, no_response_fails_a_status_check) {
  exchange_record r;
  r.id = "x";
  r.end = "eof";
  EXPECT_EQ(check({{"status", 400}}, r).size(), 1u);
  EXPECT_TRUE(check({{"no_response", true}}, r).empty());
}

TEST(client_expectation, unknown_keys_are_rejected) {
  EXPECT_THROW(client_expectation::validate({{"stauts", 200}}), std::invalid_argument);
  EXPECT_THROW(client_expectation::validate({{"sse", {{"cuont", 1}}}}), std::invalid_argument);
  EXPECT_NO_THROW(client_expectation::validate({{"status", 200}, {"sse", {{"count", 1}}}}));
}

TEST(client_expectation, body_json_subset) {
  exchange_record r;
  r.id = "j";
  r.got_head = true;
  r.status = 502;
  r.body = R"({"error":{"message":"proxy down","type":"bridge_error"}})";
  EXPECT_TRUE(check({{"body_json", {{"error", {{"type", "bridge_error"}}}}}}, r).empty());
  EXPECT_EQ(check({{"body_json", {{"error", {{"type", "other"}}}}}}, r).size(), 1u);
  r.body = "connect ECONNREFUSED";
  EXPECT_EQ(check({{"body_json", json::object()}}, r).size(), 1u);
}
