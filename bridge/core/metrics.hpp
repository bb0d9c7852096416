#pragma once
// The bridge's metrics (GET /metrics on the admin listener), sans I/O.
//
// Counting is per worker thread: each thread owns a `metrics_shard` that only it writes, with
// relaxed loads and stores (no read-modify-write, no lock, nothing shared between workers on
// the hot path). A scrape folds the shards into a `metrics_snapshot` and renders it in the
// Prometheus text exposition format (names per Prometheus's naming conventions: `mrb_` prefix,
// `_total` counters, base units, bounded label values). Readers may see a shard mid-update; a
// counter read is still a value it had, which is all Prometheus asks of a scrape.

#include "core/error_reply.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mrb {

/// What kind of Model Runner route a request went to (a bounded label, never the raw path).
enum class route_class : std::uint8_t
{
    chat_completions,
    completions,
    embeddings,
    models,
    other,
};
inline constexpr std::size_t route_class_count = 5;
route_class classify_route(std::string_view target) noexcept;
std::string_view to_string(route_class r) noexcept;

/// Failure kinds counted by hop: the bridge's own answers (enum `failure`) plus what the access
/// flags tell about exchanges the bridge did not answer itself.
enum class failure_kind : std::uint8_t
{
    proxy_refused,
    proxy_unreachable,
    proxy_connect_timeout,
    proxy_reset,
    proxy_bad_response,
    response_header_timeout,
    policy_denial,
    proxy_auth_refused,
    framing_refusal,
    header_too_large,
    body_too_large,
    connect_method,
    foreign_target,
    overloaded,
    model_runner_error, ///< the Model Runner answered 5xx
    upstream_cut,       ///< the response was cut after it had started
    client_abort,       ///< the client went away before the exchange ended
};
inline constexpr std::size_t failure_kind_count = 17;
std::string_view to_string(failure_kind k) noexcept;
failure_kind failure_kind_of(failure f) noexcept;
/// The kind whose row in the failure table names `f`; nullopt when the table has no such row.
std::optional<failure_kind> failure_kind_row_of(failure f) noexcept;

enum class hop_label : std::uint8_t { proxy, model_runner, client };
inline constexpr std::size_t hop_label_count = 3;
std::string_view to_string(hop_label h) noexcept;

/// Facts of one streamed completion (filled by core/stream_stats.hpp).
struct stream_sample
{
    std::string_view model;           ///< from the stream's chunks; empty: unknown
    std::int64_t first_event_us = -1; ///< from the request's start to the first data event
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
    std::uint64_t completion_tokens = 0; ///< usage.completion_tokens, or the event count
    double tokens_per_second = 0;        ///< timings.predicted_per_second, or derived; 0: unknown
};

/// One finished exchange as the metrics see it.
struct exchange_sample
{
    route_class route = route_class::other;
    unsigned status = 0;              ///< sent to the client; 0 when none was sent
    std::optional<failure> answered;  ///< the bridge answered with its own error
    bool via_proxy = true;
    unsigned flags = 0;               ///< access_flag bits (core/exchange.hpp)
    bool retried = false;             ///< resent once after a stale pooled connection
    std::int64_t ttfb_us = -1;        ///< response head latency; -1: no head
    std::int64_t dur_us = 0;
    std::optional<stream_sample> stream;
};

/// The failure an exchange counts as, if any (pure; table-tested).
struct counted_failure
{
    hop_label hop;
    failure_kind kind;
    friend bool operator==(const counted_failure&, const counted_failure&) = default;
};
std::optional<counted_failure> failure_of(const exchange_sample& s) noexcept;

/// Histogram bucket upper bounds.
inline constexpr std::array<double, 15> latency_buckets_s{
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
inline constexpr std::array<double, 12> rate_buckets_tps{1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 250, 500};

/// Model names get a label slot on first sight, up to this many; later ones count as "_other".
inline constexpr std::size_t max_model_labels = 16;
inline constexpr std::string_view other_model_label = "_other";

/// Process-wide model-name table: slots are handed out once and never change.
class model_labels
{
public:
    /// The slot of `name` (an index below max_model_labels), or max_model_labels when full.
    std::size_t slot(std::string_view name);
    std::vector<std::string> names() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::string> names_;
};

template <std::size_t N>
struct histogram_counts
{
    std::array<std::uint64_t, N + 1> buckets{}; ///< per bucket (not cumulative); last is +Inf
    double sum = 0;
    std::uint64_t count = 0;
};

/// Estimates quantile q (0..1) of a histogram, interpolating inside the bucket like
/// Prometheus's histogram_quantile(). nullopt when empty.
template <std::size_t N>
std::optional<double> histogram_quantile(double q, const histogram_counts<N>& h,
                                         const std::array<double, N>& bounds) noexcept;

struct model_figures
{
    std::string model;
    histogram_counts<latency_buckets_s.size()> first_token;
    histogram_counts<rate_buckets_tps.size()> tokens_per_second;
    std::uint64_t streams = 0;
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
    std::uint64_t completion_tokens = 0;
};

/// Gauges the server knows at scrape time.
struct live_figures
{
    std::uint64_t client_connections = 0;
    std::uint64_t open_streams = 0;
    std::uint64_t pooled_upstream = 0;
};

/// Process figures read at scrape time (bridge/net reads /proc).
struct process_figures
{
    std::uint64_t resident_bytes = 0;
    std::uint64_t open_fds = 0;
    double start_time_seconds = 0; ///< since the Unix epoch
};

/// Everything a scrape shows, folded over the shards.
struct metrics_snapshot
{
    std::array<std::array<std::uint64_t, 600>, route_class_count> requests{}; ///< [route][status]
    std::array<std::array<std::uint64_t, failure_kind_count>, hop_label_count> failures{};
    std::uint64_t stale_retries = 0;
    histogram_counts<latency_buckets_s.size()> response_head;
    histogram_counts<latency_buckets_s.size()> duration;
    std::vector<model_figures> models; ///< in slot order, "_other" last if used
    live_figures live;
    process_figures process;

    std::uint64_t requests_total() const noexcept;
    std::uint64_t failures_total() const noexcept;
};

/// One worker thread's counters. Written by its thread only.
class metrics_shard
{
public:
    explicit metrics_shard(std::shared_ptr<model_labels> labels);

    void record(const exchange_sample& s);
    /// Gauges this thread keeps: responses being relayed now, and its idle pooled connections
    /// (as of its last exchange).
    void stream_opened() noexcept { open_streams_.add(1); }
    void stream_closed() noexcept { open_streams_.add(~std::uint64_t{0}); } // -1, wrapping
    void set_pooled(std::size_t n) noexcept { pooled_.value.store(n, std::memory_order_relaxed); }
    /// Adds this shard's counters to `out` (out.models must have max_model_labels + 1 entries).
    void fold_into(metrics_snapshot& out) const;

private:
    struct counter
    {
        std::atomic<std::uint64_t> value{0};
        void add(std::uint64_t n) noexcept { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
        std::uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
    };
    template <std::size_t N>
    struct histogram
    {
        std::array<counter, N + 1> buckets;
        counter sum_micros; ///< sum in millionths of the unit
        counter count;
        void observe(double value, const std::array<double, N>& bounds) noexcept;
        void fold_into(histogram_counts<N>& out) const noexcept;
    };
    struct per_model
    {
        histogram<latency_buckets_s.size()> first_token;
        histogram<rate_buckets_tps.size()> tokens_per_second;
        counter streams, events, bytes, completion_tokens;
    };

    std::shared_ptr<model_labels> labels_;
    std::array<std::array<counter, 600>, route_class_count> requests_;
    std::array<std::array<counter, failure_kind_count>, hop_label_count> failures_;
    counter stale_retries_;
    counter open_streams_;
    counter pooled_;
    histogram<latency_buckets_s.size()> response_head_;
    histogram<latency_buckets_s.size()> duration_;
    std::array<per_model, max_model_labels + 1> models_;
    // Slot lookups cached per shard, so the shared table is locked once per new name per thread.
    std::vector<std::pair<std::string, std::size_t>> slot_cache_;
};

/// Folds shards into a snapshot (models with no stream are left out).
metrics_snapshot fold(const std::vector<const metrics_shard*>& shards, const model_labels& labels);

/// The Prometheus text exposition format (version 0.0.4) of a snapshot.
std::string render_prometheus(const metrics_snapshot& m);

} // namespace mrb
