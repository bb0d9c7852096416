// What OpenClaw tells the user, per failure (openclaw-client.md table), and the options JSON.
#include "fake_openclaw.hpp"
#include "user_messages.hpp"

#include <gtest/gtest.h>

namespace oc = fakes::openclaw;
using oc::error_class;

TEST(user_messages, reference_table_rows)
{
    auto o = oc::user_messages::for_failure(error_class::http_status, 502, "");
    EXPECT_EQ(o.message, "\u26a0\ufe0f {model} request failed (provider internal error, HTTP 502). This is usually "
                         "temporary \u2014 try again shortly.");
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_TRUE(o.retryable());
    EXPECT_EQ(o.attempts, 8);
    EXPECT_EQ(o.retry_after, oc::retry_after_rule::stops_window);
    EXPECT_FALSE(o.network);

    o = oc::user_messages::for_failure(error_class::http_status, 403, "");
    EXPECT_EQ(o.message, "\u26a0\ufe0f {model} request failed (authentication failed, HTTP 403). Re-authenticate the provider and try again.");
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_FALSE(o.retryable());
    EXPECT_TRUE(o.key_cooldown);

    o = oc::user_messages::for_failure(error_class::connection_reset, 200, "");
    EXPECT_EQ(o.message, "LLM request failed: network connection was interrupted.");
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_TRUE(o.network);
    EXPECT_EQ(o.attempts, 7);

    o = oc::user_messages::for_failure(error_class::stream_cut, 200, "");
    EXPECT_EQ(o.message, "LLM request timed out.");
    EXPECT_EQ(o.exit_code, 2);

    o = oc::user_messages::for_failure(error_class::connection_refused, 0, "");
    EXPECT_EQ(o.message, "LLM request failed: connection refused by the provider endpoint.");
    EXPECT_EQ(o.exit_code, 2);

    o = oc::user_messages::for_failure(error_class::http_status, 451,
        R"({"error":{"message":"blocked. Fix: allow it","type":"t","code":"c"}})");
    EXPECT_EQ(o.message, "\u26a0\ufe0f {model} request failed (HTTP 451).");  // our text only in OpenClaw's log
    EXPECT_EQ(o.attempts, 4);
    EXPECT_FALSE(o.undici_resend);
    EXPECT_TRUE(oc::user_messages::for_failure(error_class::http_status, 421, "{}").undici_resend);

    o = oc::user_messages::for_failure(error_class::agent_timeout, 0, "");
    EXPECT_EQ(o.message, "Request timed out before a response was generated.");
    EXPECT_EQ(o.attempts, 1);

    EXPECT_EQ(oc::user_messages::error_message(R"({"error":{"message":"m"}})"), "m");
    EXPECT_EQ(oc::user_messages::error_message("not json"), "");

    EXPECT_EQ(oc::user_messages::for_failure(error_class::none, 200, "").exit_code, 0);
    EXPECT_EQ(oc::user_messages::for_failure(error_class::config_error, 0, "x:1:2").message,
        "Invalid config: x:1:2");
}

// Measured with real OpenClaw 2026.9.6 against the fake runner's llama.cpp overflow error.
TEST(user_messages, a_context_overflow_400_is_not_a_schema_rejection)
{
    auto const body = std::string(R"({"error":{"code":400,"message":"request (13403 tokens) exceeds the available )") +
                      R"(context size (8192 tokens), try increasing it","type":"exceed_context_size_error"}})";
    auto o = oc::user_messages::for_failure(error_class::http_status, 400, body);
    EXPECT_EQ(o.message, "Context overflow: prompt too large for the model. Try /reset (or /new) to start a fresh "
                         "session, or use a larger-context model.");
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_FALSE(o.retryable());
    o = oc::user_messages::for_failure(error_class::http_status, 400, R"({"error":{"message":"bad tools"}})");
    EXPECT_EQ(o.message, "LLM request failed: provider rejected the request schema or tool payload.");
}

TEST(options_from_json, reads_every_key_and_rejects_unknown_ones)
{
    auto const o = oc::options_from_json(nlohmann::json::parse(R"({
        "config_path": "/tmp/openclaw.json", "config": {"gateway": {"mode": "local"}},
        "message": "hi", "retries": 7, "backoff_ms": 1, "connect_timeout_ms": 500,
        "idle_timeout_ms": 250, "repeat": 10, "concurrency": 4, "seed": 9})"));
    EXPECT_EQ(o.config_path, "/tmp/openclaw.json");
    EXPECT_EQ((*o.config)["gateway"]["mode"], "local");
    EXPECT_EQ(o.message, "hi");
    EXPECT_EQ(o.retries, 7);
    EXPECT_FALSE(o.state_dir);
    EXPECT_EQ(o.backoff_unit.count(), 1);
    EXPECT_EQ(o.connect_timeout.count(), 500);
    EXPECT_EQ(o.idle_timeout.count(), 250);
    EXPECT_EQ(o.repeat, 10);
    EXPECT_EQ(o.concurrency, 4);
    EXPECT_EQ(o.seed, 9u);
    EXPECT_THROW(oc::options_from_json({{"retry", 1}}), std::invalid_argument);
    EXPECT_THROW(oc::options_from_json({{"repeat", 0}}), std::invalid_argument);
    EXPECT_THROW(oc::options_from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST(latency_stats, nearest_rank_percentiles)
{
    std::vector<std::int64_t> samples;
    for (int i = 100; i >= 1; --i)
        samples.push_back(i);
    auto const s = oc::latency_stats::of(samples);
    EXPECT_EQ(s.count, 100);
    EXPECT_EQ(s.min_us, 1);
    EXPECT_EQ(s.p50_us, 50);
    EXPECT_EQ(s.p90_us, 90);
    EXPECT_EQ(s.p99_us, 99);
    EXPECT_EQ(s.max_us, 100);
    EXPECT_DOUBLE_EQ(s.mean_us, 50.5);
    EXPECT_EQ(oc::latency_stats::of({}).count, 0);
}
