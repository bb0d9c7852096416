#include "capture_converter.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::capture_converter;
using nlohmann::json;

namespace {

// A stream cut by an upstream reset after 3 events, as docs/capture.md writes it.
const char* cut_stream =
    R"({"ts_unix_us":1,"request":{"method":"POST","target":"/engines/v1/chat/completions","version":11,)"
    R"("headers":[["Host","127.0.0.1:54321"],["Authorization","[redacted]"],["Content-Type","application/json"],["Content-Length","120"]]},)"
    R"("upstream_request":{"target":"http://localhost:12434/engines/v1/chat/completions","headers":[]},)"
    R"("upstream_response":{"status":200,"reason":"OK","headers":[["Content-Type","text/event-stream"],["Transfer-Encoding","chunked"]]},)"
    R"("response":{"status":200,"headers":[]},"chunks":[[1000,100],[21000,100],[41000,100]],"sse_event_us":[1000,21000,41000],)"
    R"("status":200,"bytes_in":120,"bytes_out":300,"dur_us":42000,"ttfb_us":900,"sse_events":3,)"
    R"("upstream_reused":false,"retried":false,"flags":["UR"],"end":"failed"})";

}  // namespace

TEST(capture_converter, a_cut_stream_becomes_a_reset_after_the_same_event) {
  auto s = capture_converter::convert(std::string("{\"request\":{\"method\":\"GET\",\"target\":\"/\"},\"status\":200}\n") + cut_stream, "cap");
  const auto& mr = s["topology"]["model_runner"];
  EXPECT_EQ(mr["token_interval_us"], 20000);
  ASSERT_EQ(mr["faults"].size(), 1u);
  EXPECT_EQ(mr["faults"][0], (json{{"kind", "reset_peer"}, {"after_events", 3}}));
  const auto& step = s["steps"][0];
  EXPECT_EQ(step["method"], "POST");
  EXPECT_EQ(step["path"], "/engines/v1/chat/completions");
  EXPECT_EQ(step["expect"]["sse"]["count"], 3);
  EXPECT_EQ(step["expect"]["complete"], false);
  EXPECT_EQ(s["steps"][1]["bridge_log"]["last"]["flags"], (json{{"$set", {"UR"}}}));
  // Redacted and framing headers are not replayed.
  for (const auto& kv : step["headers"]) {
    EXPECT_NE(kv[0], "Authorization");
    EXPECT_NE(kv[0], "Content-Length");
  }
}

TEST(capture_converter, an_upstream_error_status_is_replayed) {
  auto s = capture_converter::convert(
      R"({"request":{"method":"GET","target":"/models/x"},"upstream_response":{"status":404,"headers":[["Content-Type","text/plain; charset=utf-8"]]},"status":404,"flags":[],"end":"complete"})",
      "cap");
  EXPECT_EQ(s["topology"]["model_runner"]["faults"][0]["kind"], "status");
  EXPECT_EQ(s["topology"]["model_runner"]["faults"][0]["code"], 404);
  EXPECT_EQ(s["steps"][0]["expect"]["status"], 404);
}

TEST(capture_converter, picks_and_rejects) {
  EXPECT_THROW(capture_converter::convert("", "cap"), std::runtime_error);
  EXPECT_THROW(capture_converter::convert("not json\n", "cap"), std::runtime_error);
  EXPECT_THROW(capture_converter::convert(cut_stream, "cap", 3), std::runtime_error);
}
