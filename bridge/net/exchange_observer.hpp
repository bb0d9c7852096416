#pragma once
// What one exchange leaves behind: its access record (the access line, and through it the failure
// journal), its count in the worker's metrics (core/metrics.hpp) and, with --capture, its capture
// line. The session reports what happens; this is the
// one place that turns it into the record and the capture, and writes both when it ends.

#include "access_log.hpp"
#include "core/metrics.hpp"
#include "core/stream_stats.hpp"

#include <boost/beast/http/fields.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mrb {

class capture;

class exchange_observer
{
public:
    using clock = std::chrono::steady_clock;

    /// `metrics`: the worker's shard (nullptr: not counted); `via_proxy` decides which hop a
    /// next-hop failure is counted against.
    exchange_observer(access_log& log, capture* sink, metrics_shard* metrics = nullptr, bool via_proxy = true)
        : log_(log), sink_(sink), metrics_(metrics), via_proxy_(via_proxy), debug_(log.enabled(log_level::debug))
    {
    }

    /// Between exchanges: an empty record, nothing captured.
    void reset();
    /// The exchange's first byte arrived: its clock starts now.
    void start_clock() noexcept { start_ = clock::now(); }
    clock::time_point started() const noexcept { return start_; }
    /// Microseconds since begin().
    std::int64_t elapsed_us() const noexcept;
    /// The first response byte went to the client (or the bridge's own answer did).
    void first_byte(unsigned status) noexcept;

    /// Capture events (no-ops without --capture).
    void request(unsigned version, const boost::beast::http::fields& fields);
    void upstream_request(std::string_view target, const boost::beast::http::fields& fields);
    void upstream_response(unsigned status, std::string_view reason, const boost::beast::http::fields& fields);
    void response(unsigned status, const boost::beast::http::fields& fields, bool sse);
    void generated_response(unsigned status, const boost::beast::http::fields& fields, const std::string& body);
    /// A body piece; `response_body` or `request_body`; `events`: SSE events it completed.
    void piece(const void* data, std::size_t size, std::size_t events, bool response_body);

    /// Writes the capture line, then the access line, and counts the exchange.
    void finish();

    access_record record;

private:
    static nlohmann::json fields_json(const boost::beast::http::fields& fields);

    access_log& log_;
    capture* sink_;
    clock::time_point start_{};
    void count();
    /// --log-level debug: when each phase was reached, in microseconds since the start (-1: not).
    enum phase_mark { head_read, upstream_sent, upstream_head, client_first_byte, marks };
    void mark(phase_mark m) noexcept
    {
        if (debug_)
            marks_[m] = elapsed_us();
    }
    void log_phases();

    nlohmann::json cap_; ///< the exchange being captured (null when --capture is off)
    metrics_shard* metrics_;
    bool via_proxy_;
    bool debug_ = false;
    std::int64_t marks_[marks] = {-1, -1, -1, -1};
    // The streamed response being relayed (metrics only).
    bool sse_ = false;
    bool stream_open_ = false;
    std::int64_t first_event_us_ = -1;
    stream_stats stream_;
};

} // namespace mrb
