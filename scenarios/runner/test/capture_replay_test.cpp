// A capture taken from a scripted fault replays to the same failure: run a scenario whose
// Model Runner resets a stream after 3 events with --capture on, convert the capture with
// --from-capture's converter, run the result, and check it reproduces the cut.
#include "capture_converter.hpp"
#include "scenario.hpp"
#include "scenario_execution.hpp"

#include <gtest/gtest.h>

#include <filesystem>

using namespace mrb::scenarios;
using nlohmann::json;

namespace {

std::string joined(const scenario_result& r) {
  std::string s;
  for (const auto& f : r.failures) s += f + "\n";
  return s + r.transcript;
}

}  // namespace

TEST(capture_replay, a_scripted_cut_replays_to_the_same_failure) {
  char tmpl[] = "/tmp/mrb-capture-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir = tmpl;
  const auto capture = (dir / "capture.jsonl").string();

  auto original = json::parse(R"({
    "description": "scripted fault: reset after 3 events",
    "topology": {
      "model_runner": {"token_interval_us": 20000, "faults": [{"kind": "reset_peer", "after_events": 3}]},
      "proxy": {"policy": {"mode": "deny", "allow_hosts": ["localhost:${model_runner.port}"]}},
      "bridge": {}
    },
    "steps": [
      {"do": "request", "id": "s", "method": "POST", "path": "/engines/v1/chat/completions",
       "headers": {"Content-Type": "application/json"},
       "body_json": {"model": "ai/smollm2", "stream": true,
                     "messages": [{"role": "user", "content": "a b c d e f g h i j"}]},
       "expect": {"status": 200, "complete": false, "sse": {"count": 3}}},
      {"do": "expect", "bridge_log": {"last": {"flags": {"$has": ["UR"]}}}}
    ]})");
  original["topology"]["bridge"]["capture"] = capture;
  run_settings settings{{MRB_TEST_BRIDGE, ""}, "fake", false};
  auto sc = scenario::from_json(original, dir / "original.json");
  auto first = scenario_execution(sc, settings).run();
  ASSERT_EQ(first.outcome, "pass") << joined(first);

  auto replay_json = capture_converter::convert_file(capture);
  // The replay must carry the fault, not pass by accident.
  ASSERT_EQ(replay_json["topology"]["model_runner"]["faults"][0]["kind"], "reset_peer") << replay_json.dump(2);
  EXPECT_EQ(replay_json["topology"]["model_runner"]["faults"][0]["after_events"], 3);
  auto replay = scenario::from_json(replay_json, dir / "replay.json");
  auto second = scenario_execution(replay, settings).run();
  EXPECT_EQ(second.outcome, "pass") << replay_json.dump(2) << "\n" << joined(second);
  std::filesystem::remove_all(dir);
}
