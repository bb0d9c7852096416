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
