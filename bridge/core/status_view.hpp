#pragma once
// What `model-runner-bridge status` shows, sans I/O: figures computed from the metrics (since
// start, and over the last minute as the difference of two snapshots), carried as JSON from the
// admin listener's /status to the command, and drawn as a `docker stats`-like screen.

#include "core/admin_routes.hpp"
#include "core/metrics.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mrb {

/// `now` minus `before` (counters and buckets; gauges and process figures from `now`).
metrics_snapshot difference(const metrics_snapshot& now, const metrics_snapshot& before);

struct status_window
{
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;                       ///< failed exchanges, all hops
    std::map<std::string, std::uint64_t> by_hop;    ///< "proxy", "model_runner", "client"
};

struct status_model_row
{
    std::string model;
    std::uint64_t streams = 0;
    std::optional<double> ttft_p50_s, ttft_p95_s; ///< from the histogram (bucket interpolation)
    std::optional<double> tokens_per_second;      ///< mean over the window's streams
};

struct status_figures
{
    double uptime_s = 0;
    readiness ready;
    status_window since_start;
    status_window last_minute;
    double last_minute_span_s = 0; ///< how much history the "last minute" really covers
    std::vector<status_model_row> models; ///< since start
    std::uint64_t client_connections = 0;
    std::uint64_t open_streams = 0;
    std::uint64_t pooled_upstream = 0;
};

/// The snapshots the admin listener keeps for "the last minute": one every `step` at most, the
/// oldest dropped once a newer one is a minute old. Times are seconds on a steady clock.
class snapshot_history
{
public:
    explicit snapshot_history(double step_s = 10) : step_s_(step_s) {}
    /// Keeps `m` when the newest kept one is at least a step old (or none is kept).
    void offer(double now_s, const metrics_snapshot& m);
    /// The snapshot closest to a minute before `now_s` (the oldest kept when younger), with the
    /// span it covers; nullopt when none is kept.
    std::optional<std::pair<metrics_snapshot, double>> minute_ago(double now_s) const;

private:
    double step_s_;
    std::vector<std::pair<double, metrics_snapshot>> kept_;
};

status_figures compute_status(const metrics_snapshot& now, const metrics_snapshot& minute_ago,
                              double minute_span_s, double uptime_s, const readiness& ready);

nlohmann::json to_json(const status_figures& s);
/// Throws nlohmann::json::exception on a document of another shape.
status_figures status_from_json(const nlohmann::json& j);

/// The screen: a few aligned lines, one row per model.
std::string render_status(const status_figures& s);

} // namespace mrb
