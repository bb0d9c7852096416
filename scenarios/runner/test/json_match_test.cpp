#include "json_match.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::json_match;
using nlohmann::json;

TEST(json_match, objects_match_as_subsets) {
  EXPECT_TRUE(json_match::matches(json{{"a", 1}}, json{{"a", 1}, {"b", 2}}));
  EXPECT_FALSE(json_match::matches(json{{"a", 1}, {"c", 3}}, json{{"a", 1}, {"b", 2}}));
  EXPECT_FALSE(json_match::matches(json{{"a", 2}}, json{{"a", 1}}));
}

TEST(json_match, arrays_need_equal_length) {
  EXPECT_TRUE(json_match::matches(json::array({1, 2}), json::array({1, 2})));
  EXPECT_FALSE(json_match::matches(json::array({1}), json::array({1, 2})));
}

TEST(json_match, operators) {
  EXPECT_TRUE(json_match::matches(json{{"a", {{"$absent", true}}}}, json{{"b", 1}}));
  EXPECT_FALSE(json_match::matches(json{{"a", {{"$absent", true}}}}, json{{"a", 1}}));
  EXPECT_TRUE(json_match::matches(json{{"$contains", "ell"}}, json("hello")));
  EXPECT_FALSE(json_match::matches(json{{"$contains", "xyz"}}, json("hello")));
  EXPECT_TRUE(json_match::matches(json{{"$regex", "^h.*o$"}}, json("hello")));
  EXPECT_TRUE(json_match::matches(json{{"$ge", 3}}, json(4)));
  EXPECT_FALSE(json_match::matches(json{{"$le", 3}}, json(4)));
  EXPECT_TRUE(json_match::matches(json{{"$set", {"UR", "DC"}}}, json::array({"DC", "UR"})));
  EXPECT_FALSE(json_match::matches(json{{"$set", {"UR"}}}, json::array({"DC", "UR"})));
  EXPECT_TRUE(json_match::matches(json{{"$has", {"UR"}}}, json::array({"DC", "UR"})));
  EXPECT_FALSE(json_match::matches(json{{"$any", true}}, json(json::value_t::discarded)));
}

TEST(json_match, failure_messages_name_the_path) {
  std::vector<std::string> f;
  json_match::compare(json{{"a", {{"b", 1}}}}, json{{"a", {{"b", 2}}}}, "x", f);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].find("x.a.b"), std::string::npos);
}
