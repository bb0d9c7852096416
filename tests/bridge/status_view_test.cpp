// `status`'s figures and screen: windows from two snapshots, per-model quantiles, the JSON that
// travels from /status to the command (round trip), and the screen's lines (golden).
#include "core/exchange.hpp"
#include "core/status_view.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace mrb {
namespace {

metrics_snapshot after(std::shared_ptr<model_labels> labels, metrics_shard& shard, int oks, int denials)
{
    for(int i = 0; i < oks; ++i)
    {
        exchange_sample s;
        s.route = route_class::chat_completions;
        s.status = 200;
        s.ttfb_us = 200'000;
        s.dur_us = 3'000'000;
        s.stream = stream_sample{"ai/smollm2", 400'000, 30, 5000, 28, 25.0};
        shard.record(s);
    }
    for(int i = 0; i < denials; ++i)
    {
        exchange_sample s;
        s.route = route_class::chat_completions;
        s.status = denial_status;
        s.answered = failure::proxy_denied;
        shard.record(s);
    }
    metrics_snapshot m = fold({&shard}, *labels);
    m.live = {2, 1, 1};
    return m;
}

TEST(status_view, windows_come_from_two_snapshots)
{
    auto labels = std::make_shared<model_labels>();
    metrics_shard shard(labels);
    const metrics_snapshot early = after(labels, shard, 5, 1);
    const metrics_snapshot now = after(labels, shard, 3, 2);
    const status_figures s = compute_status(now, early, 60, 3725, {true, "", "", ""});
    EXPECT_EQ(s.since_start.requests, 11u);
    EXPECT_EQ(s.since_start.errors, 3u);
    EXPECT_EQ(s.since_start.by_hop.at("proxy"), 3u);
    EXPECT_EQ(s.last_minute.requests, 5u);
    EXPECT_EQ(s.last_minute.errors, 2u);
    ASSERT_EQ(s.models.size(), 1u);
    EXPECT_EQ(s.models[0].streams, 8u);
    // All first events at 0.4 s: inside (0.25, 0.5]
    EXPECT_GT(*s.models[0].ttft_p50_s, 0.25);
    EXPECT_LE(*s.models[0].ttft_p95_s, 0.5);
    EXPECT_DOUBLE_EQ(*s.models[0].tokens_per_second, 25.0);
    EXPECT_EQ(s.open_streams, 1u);

    const status_figures back = status_from_json(nlohmann::json::parse(to_json(s).dump()));
    EXPECT_EQ(to_json(back), to_json(s));
}

TEST(status_view, the_screen)
{
    auto labels = std::make_shared<model_labels>();
    metrics_shard shard(labels);
    const metrics_snapshot early = after(labels, shard, 5, 1);
    const metrics_snapshot now = after(labels, shard, 3, 2);
    status_figures s = compute_status(now, early, 60, 3725, {false, "proxy", "the proxy denies localhost:12434", "allow it"});
    s.models[0].ttft_p50_s = 0.375;
    s.models[0].ttft_p95_s = 1.25;
    const std::string screen = render_status(s);
    EXPECT_EQ(screen,
              "model-runner-bridge  up 1h 2m  chain: NOT READY (proxy: the proxy denies localhost:12434)\n"
              "  fix: allow it\n"
              "                 requests  errors\n"
              "last minute             5  2 (proxy 2)\n"
              "since start            11  3 (proxy 3)\n"
              "open: 2 client connections, 1 streams, 1 pooled proxy connections\n"
              "MODEL                             STREAMS   TTFT p50   TTFT p95   TOKENS/S\n"
              "ai/smollm2                              8      375ms      1.25s       25.0\n");
}

TEST(status_view, history_gives_the_snapshot_a_minute_old)
{
    snapshot_history h(10);
    EXPECT_FALSE(h.minute_ago(0));
    metrics_snapshot m;
    for(int t = 0; t <= 120; t += 5)
    {
        m.stale_retries = static_cast<std::uint64_t>(t);
        h.offer(t, m);
    }
    const auto got = h.minute_ago(120);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first.stale_retries, 60u);
    EXPECT_DOUBLE_EQ(got->second, 60.0);
    snapshot_history young(10);
    young.offer(100, m);
    EXPECT_DOUBLE_EQ(young.minute_ago(130)->second, 30.0) << "younger than a minute: the oldest kept, with its span";
}

} // namespace
} // namespace mrb
