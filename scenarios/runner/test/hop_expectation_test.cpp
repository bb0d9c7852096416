#include "hop_expectation.hpp"
#include "hop_json.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::hop_expectation;
using mrb::scenarios::request_json;
using nlohmann::json;

namespace {

json two_requests() {
  return json::array({request_json("GET", "http://localhost:1/v1/models", {{"Host", "localhost:1"}, {"Via", "1.1 bridge"}}, 0),
                      request_json("POST", "http://localhost:1/v1/chat/completions?x=1",
                                   {{"Host", "localhost:1"}, {"Via", "1.1 bridge"}, {"Via", "1.1 other"}}, 42)});
}

std::vector<std::string> check(const json& e, const json& reqs, const json& log = json::array()) {
  std::vector<std::string> f;
  hop_expectation::check("proxy", e, reqs, log, f);
  return f;
}

}  // namespace

TEST(hop_expectation, request_json_normalises_names_and_paths) {
  auto r = request_json("GET", "http://localhost:1/a?b", {{"X-Foo", "1"}, {"x-foo", "2"}}, 3);
  EXPECT_EQ(r["path"], "/a?b");
  EXPECT_EQ(r["headers"]["x-foo"], "1, 2");
  EXPECT_EQ(r["body_size"], 3);
}

TEST(hop_expectation, counts_first_last_each_any) {
  auto reqs = two_requests();
  EXPECT_TRUE(check({{"requests", 2}, {"first", {{"method", "GET"}}}, {"last", {{"body_size", 42}}}}, reqs).empty());
  EXPECT_EQ(check({{"requests", 1}}, reqs).size(), 1u);
  EXPECT_TRUE(check({{"each", {{"headers_present", {"via"}}}}}, reqs).empty());
  EXPECT_FALSE(check({{"each", {{"header_count", {{"Via", 1}}}}}}, reqs).empty());
  EXPECT_TRUE(check({{"any", {{"path", "/v1/chat/completions?x=1"}}}}, reqs).empty());
  EXPECT_FALSE(check({{"any", {{"path", "/nope"}}}}, reqs).empty());
  EXPECT_FALSE(check({{"last", {{"headers_absent", {"Host"}}}}}, reqs).empty());
}

TEST(hop_expectation, a_pattern_on_no_requests_fails) {
  EXPECT_FALSE(check({{"last", {{"method", "GET"}}}}, json::array()).empty());
  EXPECT_TRUE(check({{"requests", 0}}, json::array()).empty());
}

TEST(hop_expectation, network_log_counts) {
  json log = json::array({{{"action", "allowed"}}, {{"action", "denied"}}, {{"action", "denied"}}});
  EXPECT_TRUE(check({{"allowed", 1}, {"denied", 2}}, json::array(), log).empty());
  EXPECT_FALSE(check({{"denied", 0}}, json::array(), log).empty());
}

TEST(hop_expectation, validate_rejects_typos) {
  EXPECT_THROW(hop_expectation::validate({{"reqests", 1}}), std::invalid_argument);
  EXPECT_THROW(hop_expectation::validate({{"last", {{"heders", 1}}}}), std::invalid_argument);
  EXPECT_NO_THROW(hop_expectation::validate({{"last", {{"headers", json::object()}}}, {"disconnect_within_ms", 5}}));
}
