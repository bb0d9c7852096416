// The metrics core: which failure an exchange counts as (a table), folding per-thread shards,
// bounded model labels, quantiles from buckets, and the exposition text (golden lines; promtool
// checks the whole text where it is installed: ci/install-deps.sh installs it).
#include "core/exchange.hpp"
#include "core/metrics.hpp"
#include "core/stream_stats.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace mrb {
namespace {

TEST(metrics, routes_are_classed_by_path_suffix_never_by_raw_path)
{
    EXPECT_EQ(classify_route("/engines/llama.cpp/v1/chat/completions"), route_class::chat_completions);
    EXPECT_EQ(classify_route("/engines/v1/chat/completions?x=1"), route_class::chat_completions);
    EXPECT_EQ(classify_route("/engines/v1/completions"), route_class::completions);
    EXPECT_EQ(classify_route("/engines/v1/embeddings"), route_class::embeddings);
    EXPECT_EQ(classify_route("/engines/v1/models"), route_class::models);
    EXPECT_EQ(classify_route("/models/ai/smollm2"), route_class::models);
    EXPECT_EQ(classify_route("/"), route_class::other);
    EXPECT_EQ(classify_route("/secret-path-with-unbounded-values/123"), route_class::other);
}

struct failure_row
{
    const char* name;
    exchange_sample sample;
    std::optional<counted_failure> expected;
};

TEST(metrics, each_exchange_counts_as_at_most_one_failure_of_one_hop)
{
    auto with = [](auto f) {
        exchange_sample s;
        f(s);
        return s;
    };
    const failure_row rows[] = {
        {"plain success", with([](auto& s) { s.status = 200; }), std::nullopt},
        {"model runner 404 is no failure", with([](auto& s) { s.status = 404; }), std::nullopt},
        {"policy denial answered by the bridge",
         with([](auto& s) { s.status = denial_status; s.answered = failure::proxy_denied; s.flags = flag_pd; }),
         counted_failure{hop_label::proxy, failure_kind::policy_denial}},
        {"proxy refused",
         with([](auto& s) { s.status = 502; s.answered = failure::proxy_refused; s.flags = flag_uf; }),
         counted_failure{hop_label::proxy, failure_kind::proxy_refused}},
        {"direct: next hop failures belong to the model runner",
         with([](auto& s) { s.via_proxy = false; s.status = 502; s.answered = failure::proxy_refused; }),
         counted_failure{hop_label::model_runner, failure_kind::proxy_refused}},
        {"response head timeout",
         with([](auto& s) { s.status = 504; s.answered = failure::proxy_timeout; s.flags = flag_ut; }),
         // failure_hop(): a head that never comes is the Model Runner's (loading, stuck), not the proxy's
         counted_failure{hop_label::model_runner, failure_kind::response_header_timeout}},
        {"framing refusal is the client's",
         with([](auto& s) { s.status = 400; s.answered = failure::bad_request; s.flags = flag_dpe; }),
         counted_failure{hop_label::client, failure_kind::framing_refusal}},
        {"client abort mid-stream",
         with([](auto& s) { s.status = 200; s.flags = flag_dc; }),
         counted_failure{hop_label::client, failure_kind::client_abort}},
        {"upstream cut mid-stream",
         with([](auto& s) { s.status = 200; s.flags = flag_ur; }),
         counted_failure{hop_label::proxy, failure_kind::upstream_cut}},
        {"model runner 500 relayed",
         with([](auto& s) { s.status = 500; }),
         counted_failure{hop_label::model_runner, failure_kind::model_runner_error}},
    };
    for(const auto& row : rows)
        EXPECT_EQ(failure_of(row.sample), row.expected) << row.name;
}

// The failure table (core/metrics.cpp) has a row for every failure the bridge can answer with:
// a new enum value without one fails here, not as a miscounted metric. error_reply's to_string
// names every value (the compiler warns on a missing case) and says "unknown" past the last.
TEST(metrics, every_failure_has_a_row_in_the_failure_table)
{
    int values = 0;
    for(int i = 0; to_string(static_cast<failure>(i)) != "unknown"; ++i, ++values)
    {
        const auto f = static_cast<failure>(i);
        const auto kind = failure_kind_row_of(f);
        ASSERT_TRUE(kind.has_value()) << to_string(f);
        EXPECT_EQ(failure_kind_of(f), *kind) << to_string(f);
    }
    EXPECT_GE(values, 14);
    // And every kind has its own name.
    std::set<std::string_view> names;
    for(std::size_t k = 0; k < failure_kind_count; ++k)
        names.insert(to_string(static_cast<failure_kind>(k)));
    EXPECT_EQ(names.size(), failure_kind_count);
    EXPECT_EQ(names.count("unknown"), 0u);
    EXPECT_EQ(to_string(failure::proxy_denied), "proxy_denied");
    EXPECT_EQ(to_string(failure_kind_of(failure::proxy_denied)), "policy_denial");
    EXPECT_EQ(to_string(failure_kind_of(failure::bad_request)), "framing_refusal");
    EXPECT_EQ(to_string(failure_kind_of(failure::proxy_timeout)), "response_header_timeout");
}

TEST(metrics, shards_fold_into_one_snapshot)
{
    auto labels = std::make_shared<model_labels>();
    metrics_shard a(labels), b(labels);
    exchange_sample ok;
    ok.route = route_class::chat_completions;
    ok.status = 200;
    ok.ttfb_us = 20'000;
    ok.dur_us = 1'500'000;
    ok.stream = stream_sample{"ai/smollm2", 30'000, 11, 2048, 10, 42.0};
    exchange_sample denied;
    denied.route = route_class::chat_completions;
    denied.status = denial_status;
    denied.answered = failure::proxy_denied;
    denied.dur_us = 1'000;
    std::thread t1([&] { for(int i = 0; i < 1000; ++i) a.record(ok); });
    std::thread t2([&] { for(int i = 0; i < 500; ++i) b.record(denied); b.record(ok); });
    t1.join();
    t2.join();
    const metrics_snapshot m = fold({&a, &b}, *labels);
    EXPECT_EQ(m.requests[0][200], 1001u);
    EXPECT_EQ(m.requests[0][denial_status], 500u);
    EXPECT_EQ(m.requests_total(), 1501u);
    EXPECT_EQ(m.failures[0][static_cast<std::size_t>(failure_kind::policy_denial)], 500u);
    EXPECT_EQ(m.failures_total(), 500u);
    EXPECT_EQ(m.response_head.count, 1001u);
    EXPECT_EQ(m.duration.count, 1501u);
    ASSERT_EQ(m.models.size(), 1u);
    EXPECT_EQ(m.models[0].model, "ai/smollm2");
    EXPECT_EQ(m.models[0].streams, 1001u);
    EXPECT_EQ(m.models[0].events, 11u * 1001);
    EXPECT_EQ(m.models[0].completion_tokens, 10u * 1001);
    EXPECT_NEAR(m.models[0].tokens_per_second.sum, 42.0 * 1001, 1e-6);
    EXPECT_NEAR(*histogram_quantile(0.5, m.models[0].first_token, latency_buckets_s), 0.0375, 1e-9); // all in (0.025, 0.05]
}

TEST(metrics, model_labels_are_bounded_and_the_rest_counts_as_other)
{
    auto labels = std::make_shared<model_labels>();
    metrics_shard shard(labels);
    for(int i = 0; i < 40; ++i)
    {
        exchange_sample s;
        s.status = 200;
        const std::string name = "model-" + std::to_string(i);
        s.stream = stream_sample{name, 1000, 3, 100, 2, 0};
        shard.record(s);
    }
    const metrics_snapshot m = fold({&shard}, *labels);
    ASSERT_EQ(m.models.size(), max_model_labels + 1);
    EXPECT_EQ(m.models.back().model, other_model_label);
    EXPECT_EQ(m.models.back().streams, 40u - max_model_labels);
}

TEST(metrics, quantiles_interpolate_inside_the_bucket_like_prometheus)
{
    histogram_counts<latency_buckets_s.size()> h;
    EXPECT_FALSE(histogram_quantile(0.5, h, latency_buckets_s));
    h.buckets[8] = 10; // (1, 2.5]
    EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, h, latency_buckets_s), 1.75);
    h.buckets[latency_buckets_s.size()] = 90; // +Inf: the highest finite bound
    EXPECT_DOUBLE_EQ(*histogram_quantile(0.95, h, latency_buckets_s), 300.0);
}

metrics_snapshot example_snapshot()
{
    auto labels = std::make_shared<model_labels>();
    metrics_shard shard(labels);
    exchange_sample s;
    s.route = route_class::chat_completions;
    s.status = 200;
    s.ttfb_us = 120'000;
    s.dur_us = 2'000'000;
    s.stream = stream_sample{"ai/smollm2:360M-Q4_K_M", 150'000, 21, 4096, 20, 35.5};
    shard.record(s);
    exchange_sample d;
    d.route = route_class::models;
    d.status = denial_status;
    d.answered = failure::proxy_denied;
    d.dur_us = 500;
    shard.record(d);
    metrics_snapshot m = fold({&shard}, *labels);
    m.live = {3, 1, 2};
    m.process = {12'345'678, 17, 1'795'000'000.5};
    return m;
}

TEST(metrics, exposition_has_the_conventional_names_and_cumulative_buckets)
{
    const std::string text = render_prometheus(example_snapshot());
    for(const char* line : {
            "# TYPE mrb_requests_total counter\n",
            "mrb_requests_total{route=\"chat_completions\",code=\"200\"} 1\n",
            "mrb_requests_total{route=\"models\",code=\"451\"} 1\n",
            "mrb_failures_total{hop=\"proxy\",kind=\"policy_denial\"} 1\n",
            "mrb_stale_retries_total 0\n",
            "mrb_response_head_seconds_bucket{le=\"0.1\"} 0\n",
            "mrb_response_head_seconds_bucket{le=\"0.25\"} 1\n",
            "mrb_response_head_seconds_bucket{le=\"+Inf\"} 1\n",
            "mrb_response_head_seconds_sum 0.12\n",
            "mrb_exchange_duration_seconds_count 2\n",
            "mrb_stream_first_token_seconds_bucket{model=\"ai/smollm2:360M-Q4_K_M\",le=\"0.25\"} 1\n",
            "mrb_stream_tokens_per_second_bucket{model=\"ai/smollm2:360M-Q4_K_M\",le=\"50\"} 1\n",
            "mrb_stream_events_total{model=\"ai/smollm2:360M-Q4_K_M\"} 21\n",
            "mrb_stream_completion_tokens_total{model=\"ai/smollm2:360M-Q4_K_M\"} 20\n",
            "mrb_client_connections 3\n",
            "mrb_open_streams 1\n",
            "mrb_upstream_pooled_connections 2\n",
            "process_resident_memory_bytes 12345678\n",
            "process_open_fds 17\n",
            "process_start_time_seconds 1795000000.5\n",
        })
        EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
}

TEST(metrics, label_values_are_escaped)
{
    auto labels = std::make_shared<model_labels>();
    metrics_shard shard(labels);
    exchange_sample s;
    s.status = 200;
    s.stream = stream_sample{"we\"ird\\name", 1000, 1, 10, 1, 0};
    shard.record(s);
    const std::string text = render_prometheus(fold({&shard}, *labels));
    EXPECT_NE(text.find("mrb_streams_total{model=\"we\\\"ird\\\\name\"} 1\n"), std::string::npos) << text;
}

TEST(metrics, promtool_accepts_the_exposition)
{
    // promtool comes with Debian's prometheus package (ci/install-deps.sh).
    ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
        << "promtool not found: run ci/install-deps.sh (Debian package prometheus)";
    const auto path = std::filesystem::temp_directory_path() /
                      ("mrb-metrics-" + std::to_string(::getpid()) + ".prom");
    {
        std::ofstream out(path);
        out << render_prometheus(example_snapshot());
    }
    const std::string cmd = "promtool check metrics < '" + path.string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    std::filesystem::remove(path);
    EXPECT_EQ(rc, 0) << cmd;
}

TEST(stream_stats, reads_model_usage_and_llama_timings_from_pieces_split_anywhere)
{
    const std::string body =
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}],\"model\":\"ai/smollm2\",\"object\":\"chat.completion.chunk\"}\r\n\r\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"model\":\"ai/smollm2\"}\n\n"
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"model\":\"ai/smollm2\",\"usage\":{\"completion_tokens\":7,\"prompt_tokens\":3},\"timings\":{\"predicted_per_second\":51.25}}\n\n"
        "data: [DONE]\n\n";
    for(std::size_t piece : {1u, 2u, 3u, 7u, 64u, 4096u})
    {
        stream_stats st;
        std::size_t lines = 0;
        for(std::size_t i = 0; i < body.size(); i += piece)
            lines += st.feed(std::string_view(body).substr(i, piece));
        EXPECT_EQ(lines, 4u) << piece;
        const stream_sample s = st.sample(1000, 2000);
        EXPECT_EQ(s.model, "ai/smollm2") << piece;
        EXPECT_EQ(s.events, 4u);
        EXPECT_EQ(s.bytes, body.size());
        EXPECT_EQ(s.completion_tokens, 7u);
        EXPECT_DOUBLE_EQ(s.tokens_per_second, 51.25);
    }
}

TEST(stream_stats, without_usage_counts_content_events_and_derives_the_speed)
{
    stream_stats st;
    st.feed("data: {\"model\":\"m\",\"choices\":[]}\n\ndata: {\"choices\":[]}\n\ndata: {\"choices\":[]}\n\ndata: [DONE]\n\n");
    // 3 token events; speed from the first event to the end: 2 tokens in 0.5 s.
    const stream_sample s = st.sample(100'000, 600'000);
    EXPECT_EQ(s.completion_tokens, 3u);
    EXPECT_DOUBLE_EQ(s.tokens_per_second, 4.0);
}

TEST(stream_stats, odd_model_names_and_huge_lines_are_not_labels)
{
    stream_stats st;
    st.feed("data: {\"model\":\"bad\\nname\"}\n\n");
    EXPECT_EQ(st.model(), "");
    stream_stats big;
    big.feed("data: {\"model\":\"x\",\"pad\":\"" + std::string(stream_stats::max_line, 'a') + "\"}\n\n");
    EXPECT_EQ(big.model(), "");
    EXPECT_EQ(big.data_lines(), 1u);
}

} // namespace
} // namespace mrb
