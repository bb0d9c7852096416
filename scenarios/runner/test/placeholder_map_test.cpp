#include "placeholder_map.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::placeholder_map;
using nlohmann::json;

TEST(placeholder_map, expands_inside_strings_and_keys) {
  placeholder_map m;
  m.set("model_runner.port", 4321);
  m.set("dir", "/tmp/x");
  EXPECT_EQ(m.expand(std::string("localhost:${model_runner.port}")), "localhost:4321");
  auto j = m.expand(json{{"${dir}/a", "${dir}"}});
  EXPECT_EQ(j["/tmp/x/a"], "/tmp/x");
}

TEST(placeholder_map, a_lone_integer_placeholder_becomes_a_number) {
  placeholder_map m;
  m.set("p", 80);
  EXPECT_EQ(m.expand(json("${p}")), json(80));
  EXPECT_EQ(m.expand(json("${p}x")), json("80x"));
}

TEST(placeholder_map, unknown_names_stay) {
  placeholder_map m;
  EXPECT_EQ(m.expand(std::string("a ${nope} b")), "a ${nope} b");
}
