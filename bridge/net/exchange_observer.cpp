#include "exchange_observer.hpp"

#include "capture.hpp"

namespace mrb {

namespace {
std::int64_t micros(std::chrono::steady_clock::duration d)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}
} // namespace

void exchange_observer::reset()
{
    for (auto& m : marks_)
        m = -1;
    record = {};
    cap_ = nullptr;
    if (stream_open_) // an exchange that ended without finish()
    {
        stream_open_ = false;
        metrics_->stream_closed();
    }
    sse_ = false;
    first_event_us_ = -1;
    stream_ = {};
}

std::int64_t exchange_observer::elapsed_us() const noexcept
{
    return micros(clock::now() - start_);
}

void exchange_observer::first_byte(unsigned status) noexcept
{
    mark(client_first_byte);
    record.status = status;
    record.ttfb_us = elapsed_us();
}

// Heads for the capture: [name, value] pairs in wire order, credential values redacted.
nlohmann::json exchange_observer::fields_json(const boost::beast::http::fields& fields)
{
    auto out = nlohmann::json::array();
    for (const auto& f : fields)
    {
        const std::string name(f.name_string());
        out.push_back({name, capture::is_credential(name) ? std::string("[redacted]") : std::string(f.value())});
    }
    return out;
}

void exchange_observer::request(unsigned version, const boost::beast::http::fields& fields)
{
    mark(head_read);
    if (!sink_)
        return;
    cap_ = {{"ts_unix_us", std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count()},
            {"request", {{"method", record.method}, {"target", record.path}, {"version", version},
                         {"headers", fields_json(fields)}}}};
}

void exchange_observer::upstream_request(std::string_view target, const boost::beast::http::fields& fields)
{
    mark(upstream_sent);
    if (!cap_.is_null())
        cap_["upstream_request"] = {{"target", std::string(target)}, {"headers", fields_json(fields)}};
}

void exchange_observer::upstream_response(unsigned status, std::string_view reason,
                                          const boost::beast::http::fields& fields)
{
    mark(upstream_head);
    if (!cap_.is_null())
        cap_["upstream_response"] = {{"status", status}, {"reason", std::string(reason)}, {"headers", fields_json(fields)}};
}

void exchange_observer::response(unsigned status, const boost::beast::http::fields& fields, bool sse)
{
    sse_ = sse;
    if (metrics_ && !stream_open_)
    {
        stream_open_ = true;
        metrics_->stream_opened();
    }
    if (cap_.is_null())
        return;
    cap_["response"] = {{"status", status}, {"headers", fields_json(fields)}};
    cap_["chunks"] = nlohmann::json::array();
    if (sse)
        cap_["sse_event_us"] = nlohmann::json::array();
}

void exchange_observer::generated_response(unsigned status, const boost::beast::http::fields& fields,
                                           const std::string& body)
{
    if (cap_.is_null())
        return;
    cap_["response"] = {{"status", status}, {"generated_by", "model-runner-bridge"}, {"headers", fields_json(fields)}};
    if (sink_->bodies())
        cap_["response_body"] = body;
}

void exchange_observer::piece(const void* data, std::size_t size, std::size_t events, bool response_body)
{
    if (metrics_ && response_body && sse_ &&
        stream_.feed(std::string_view(static_cast<const char*>(data), size)) > 0 && first_event_us_ < 0)
        first_event_us_ = elapsed_us();
    if (cap_.is_null())
        return;
    const auto t = elapsed_us();
    if (response_body)
    {
        cap_["chunks"].push_back({t, size});
        for (std::size_t i = 0; i < events; ++i)
            cap_["sse_event_us"].push_back(t);
    }
    if (sink_->bodies() && size > 0)
    {
        auto& b = cap_[response_body ? "response_body" : "request_body"];
        if (b.is_null())
            b = std::string();
        b.get_ref<std::string&>().append(static_cast<const char*>(data), size);
    }
}

void exchange_observer::finish()
{
    record.dur_us = elapsed_us();
    // The capture line goes first: whoever has seen the access line finds the capture written.
    if (sink_ && !cap_.is_null())
    {
        cap_["status"] = record.status;
        cap_["bytes_in"] = record.bytes_in;
        cap_["bytes_out"] = record.bytes_out;
        cap_["dur_us"] = record.dur_us;
        cap_["ttfb_us"] = record.ttfb_us;
        cap_["sse_events"] = record.sse_events;
        cap_["upstream_reused"] = record.upstream_reused;
        cap_["retried"] = record.retried;
        cap_["flags"] = access_log::flag_names(record.flags);
        cap_["end"] = record.flags == 0 ? "complete" : "failed";
        if (!record.detail.empty())
            cap_["detail"] = record.detail;
        sink_->write(cap_);
    }
    cap_ = nullptr;
    // Counted before the access line is written: whoever has seen the line finds it counted.
    count();
    if (debug_)
        log_phases();
    log_.access(record);
}

// One debug line per exchange: when each phase was reached (the access line has only the totals).
void exchange_observer::log_phases()
{
    log_.write(log_level::debug, "exchange phases",
               {{"method", record.method},
                {"path", record.path},
                {"request_head_us", marks_[head_read]},
                {"forward_us", marks_[upstream_sent]},
                {"upstream_head_us", marks_[upstream_head]},
                {"first_byte_us", marks_[client_first_byte]},
                {"end_us", record.dur_us}});
}

void exchange_observer::count()
{
    if (!metrics_)
        return;
    if (stream_open_)
    {
        stream_open_ = false;
        metrics_->stream_closed();
    }
    exchange_sample s;
    s.route = classify_route(record.path);
    s.status = record.status;
    s.answered = record.answered;
    s.via_proxy = via_proxy_;
    s.flags = record.flags;
    s.retried = record.retried;
    s.ttfb_us = s.answered ? -1 : record.ttfb_us; // the bridge's own answer is no response head
    s.dur_us = record.dur_us;
    if (sse_ && stream_.data_lines() > 0)
        s.stream = stream_.sample(first_event_us_, record.dur_us);
    metrics_->record(s);
}

} // namespace mrb
