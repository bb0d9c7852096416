#include "scenario.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::scenario;
using nlohmann::json;

namespace {

json minimal() {
  return json::parse(R"({
    "description": "d",
    "steps": [{"do": "request", "id": "r1", "method": "GET", "path": "/models", "expect": {"status": 200}}]
  })");
}

}  // namespace

TEST(scenario, loads_and_takes_name_and_suite_from_the_path) {
  auto s = scenario::from_json(minimal(), "/x/streaming/event_by_event.json");
  EXPECT_EQ(s.name, "event_by_event");
  EXPECT_EQ(s.suite, "streaming");
  EXPECT_EQ(s.timeout.count(), 10000);
}

TEST(scenario, rejects_unknown_keys_everywhere) {
  auto j = minimal();
  j["descripton"] = "typo";
  EXPECT_THROW(scenario::from_json(j, "/x/s/a.json"), std::runtime_error);
  j = minimal();
  j["steps"][0]["methd"] = "GET";
  EXPECT_THROW(scenario::from_json(j, "/x/s/a.json"), std::runtime_error);
  j = minimal();
  j["steps"][0]["expect"]["stat"] = 1;
  EXPECT_THROW(scenario::from_json(j, "/x/s/a.json"), std::runtime_error);
  j = minimal();
  j["steps"][0]["do"] = "teleport";
  EXPECT_THROW(scenario::from_json(j, "/x/s/a.json"), std::runtime_error);
  j = minimal();
  j["needs"] = {"warp_drive"};
  EXPECT_THROW(scenario::from_json(j, "/x/s/a.json"), std::runtime_error);
}

TEST(scenario, duplicate_request_ids_are_rejected) {
  auto j = minimal();
  j["steps"].push_back(j["steps"][0]);
  EXPECT_THROW(scenario::from_json(j, "/x/s/a.json"), std::runtime_error);
}

TEST(scenario, name_must_match_the_file) {
  auto j = minimal();
  j["name"] = "other";
  EXPECT_THROW(scenario::from_json(j, "/x/s/a.json"), std::runtime_error);
}

// Found by tests/fuzz (scenario_loader): a wrongly typed value escaped as nlohmann's type_error,
// whose message does not say which file is wrong.
TEST(scenario, wrong_value_types_are_refused_naming_the_file) {
  const auto names_file = [](const json& j) {
    try {
      scenario::from_json(j, "/x/s/a.json");
    } catch (const std::runtime_error& e) {
      return std::string(e.what()).rfind("/x/s/a.json: ", 0) == 0;
    } catch (...) {
    }
    return false;
  };
  auto j = minimal();
  j["description"] = 7;
  EXPECT_TRUE(names_file(j));
  j = minimal();
  j["steps"][0]["do"] = 5;
  EXPECT_TRUE(names_file(j));
  j = minimal();
  j["steps"][0]["id"] = json::array();
  EXPECT_TRUE(names_file(j));
  j = minimal();
  j["timeout_ms"] = "soon";
  EXPECT_TRUE(names_file(j));
}
