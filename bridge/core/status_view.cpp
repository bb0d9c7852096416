#include "core/status_view.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace mrb {

namespace {

template <std::size_t N>
histogram_counts<N> minus(const histogram_counts<N>& a, const histogram_counts<N>& b)
{
    histogram_counts<N> out;
    for(std::size_t i = 0; i <= N; ++i)
        out.buckets[i] = a.buckets[i] - std::min(a.buckets[i], b.buckets[i]);
    out.sum = a.sum - b.sum;
    out.count = a.count - std::min(a.count, b.count);
    return out;
}

std::uint64_t minus(std::uint64_t a, std::uint64_t b)
{
    return a - std::min(a, b);
}

status_window window_of(const metrics_snapshot& m)
{
    status_window w;
    w.requests = m.requests_total();
    for(std::size_t h = 0; h < hop_label_count; ++h)
    {
        std::uint64_t n = 0;
        for(auto c : m.failures[h])
            n += c;
        w.errors += n;
        w.by_hop[std::string(to_string(static_cast<hop_label>(h)))] = n;
    }
    return w;
}

nlohmann::json window_json(const status_window& w)
{
    return {{"requests", w.requests}, {"errors", w.errors}, {"errors_by_hop", w.by_hop}};
}

status_window window_from(const nlohmann::json& j)
{
    status_window w;
    w.requests = j.at("requests").get<std::uint64_t>();
    w.errors = j.at("errors").get<std::uint64_t>();
    w.by_hop = j.at("errors_by_hop").get<std::map<std::string, std::uint64_t>>();
    return w;
}

nlohmann::json optional_json(const std::optional<double>& v)
{
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::optional<double> optional_from(const nlohmann::json& j)
{
    return j.is_null() ? std::nullopt : std::optional<double>(j.get<double>());
}

std::string duration_text(double s)
{
    char buf[32];
    const auto total = static_cast<long long>(s);
    if(total >= 86400)
        std::snprintf(buf, sizeof buf, "%lldd %lldh", total / 86400, total % 86400 / 3600);
    else if(total >= 3600)
        std::snprintf(buf, sizeof buf, "%lldh %lldm", total / 3600, total % 3600 / 60);
    else if(total >= 60)
        std::snprintf(buf, sizeof buf, "%lldm %llds", total / 60, total % 60);
    else
        std::snprintf(buf, sizeof buf, "%llds", total);
    return buf;
}

std::string seconds_text(const std::optional<double>& s)
{
    if(!s)
        return "-";
    char buf[32];
    if(*s < 1)
        std::snprintf(buf, sizeof buf, "%.0fms", *s * 1000);
    else
        std::snprintf(buf, sizeof buf, "%.2fs", *s);
    return buf;
}

std::string errors_text(const status_window& w)
{
    std::string out = std::to_string(w.errors);
    std::string parts;
    for(const auto& [hop, n] : w.by_hop)
        if(n != 0)
            parts += (parts.empty() ? "" : ", ") + hop + " " + std::to_string(n);
    return parts.empty() ? out : out + " (" + parts + ")";
}

} // namespace

metrics_snapshot difference(const metrics_snapshot& now, const metrics_snapshot& before)
{
    metrics_snapshot out = now;
    for(std::size_t r = 0; r < route_class_count; ++r)
        for(std::size_t c = 0; c < out.requests[r].size(); ++c)
            out.requests[r][c] = minus(now.requests[r][c], before.requests[r][c]);
    for(std::size_t h = 0; h < hop_label_count; ++h)
        for(std::size_t k = 0; k < failure_kind_count; ++k)
            out.failures[h][k] = minus(now.failures[h][k], before.failures[h][k]);
    out.stale_retries = minus(now.stale_retries, before.stale_retries);
    out.response_head = minus(now.response_head, before.response_head);
    out.duration = minus(now.duration, before.duration);
    for(auto& m : out.models)
        for(const auto& b : before.models)
            if(b.model == m.model)
            {
                m.first_token = minus(m.first_token, b.first_token);
                m.tokens_per_second = minus(m.tokens_per_second, b.tokens_per_second);
                m.streams = minus(m.streams, b.streams);
                m.events = minus(m.events, b.events);
                m.bytes = minus(m.bytes, b.bytes);
                m.completion_tokens = minus(m.completion_tokens, b.completion_tokens);
            }
    return out;
}

void snapshot_history::offer(double now_s, const metrics_snapshot& m)
{
    if(!kept_.empty() && now_s - kept_.back().first < step_s_)
        return;
    kept_.emplace_back(now_s, m);
    // Drop the oldest while the next one is already a minute old.
    while(kept_.size() > 1 && now_s - kept_[1].first >= 60)
        kept_.erase(kept_.begin());
}

std::optional<std::pair<metrics_snapshot, double>> snapshot_history::minute_ago(double now_s) const
{
    if(kept_.empty())
        return std::nullopt;
    // The newest snapshot at least a minute old, else the oldest.
    const auto* best = &kept_.front();
    for(const auto& k : kept_)
        if(now_s - k.first >= 60)
            best = &k;
    return std::pair{best->second, now_s - best->first};
}

status_figures compute_status(const metrics_snapshot& now, const metrics_snapshot& minute_ago,
                              double minute_span_s, double uptime_s, const readiness& ready)
{
    status_figures s;
    s.uptime_s = uptime_s;
    s.ready = ready;
    s.since_start = window_of(now);
    s.last_minute = window_of(difference(now, minute_ago));
    s.last_minute_span_s = minute_span_s;
    for(const auto& m : now.models)
    {
        status_model_row row;
        row.model = m.model;
        row.streams = m.streams;
        row.ttft_p50_s = histogram_quantile(0.5, m.first_token, latency_buckets_s);
        row.ttft_p95_s = histogram_quantile(0.95, m.first_token, latency_buckets_s);
        if(m.tokens_per_second.count != 0)
            row.tokens_per_second = m.tokens_per_second.sum / static_cast<double>(m.tokens_per_second.count);
        s.models.push_back(std::move(row));
    }
    s.client_connections = now.live.client_connections;
    s.open_streams = now.live.open_streams;
    s.pooled_upstream = now.live.pooled_upstream;
    return s;
}

nlohmann::json to_json(const status_figures& s)
{
    nlohmann::json models = nlohmann::json::array();
    for(const auto& m : s.models)
        models.push_back({{"model", m.model},
                          {"streams", m.streams},
                          {"ttft_p50_seconds", optional_json(m.ttft_p50_s)},
                          {"ttft_p95_seconds", optional_json(m.ttft_p95_s)},
                          {"tokens_per_second", optional_json(m.tokens_per_second)}});
    nlohmann::json ready = {{"ready", s.ready.ready}};
    if(!s.ready.ready)
        ready.update({{"hop", s.ready.hop}, {"message", s.ready.message}, {"fix", s.ready.fix}});
    return {{"uptime_seconds", s.uptime_s},
            {"readiness", ready},
            {"since_start", window_json(s.since_start)},
            {"last_minute", window_json(s.last_minute)},
            {"last_minute_span_seconds", s.last_minute_span_s},
            {"models", models},
            {"client_connections", s.client_connections},
            {"open_streams", s.open_streams},
            {"pooled_upstream_connections", s.pooled_upstream}};
}

status_figures status_from_json(const nlohmann::json& j)
{
    status_figures s;
    s.uptime_s = j.at("uptime_seconds").get<double>();
    const auto& r = j.at("readiness");
    s.ready.ready = r.at("ready").get<bool>();
    if(!s.ready.ready)
    {
        s.ready.hop = r.value("hop", "");
        s.ready.message = r.value("message", "");
        s.ready.fix = r.value("fix", "");
    }
    s.since_start = window_from(j.at("since_start"));
    s.last_minute = window_from(j.at("last_minute"));
    s.last_minute_span_s = j.at("last_minute_span_seconds").get<double>();
    for(const auto& m : j.at("models"))
        s.models.push_back({m.at("model").get<std::string>(), m.at("streams").get<std::uint64_t>(),
                            optional_from(m.at("ttft_p50_seconds")), optional_from(m.at("ttft_p95_seconds")),
                            optional_from(m.at("tokens_per_second"))});
    s.client_connections = j.at("client_connections").get<std::uint64_t>();
    s.open_streams = j.at("open_streams").get<std::uint64_t>();
    s.pooled_upstream = j.at("pooled_upstream_connections").get<std::uint64_t>();
    return s;
}

std::string render_status(const status_figures& s)
{
    std::string out;
    char line[256];
    out += "model-runner-bridge  up " + duration_text(s.uptime_s) + "  chain: ";
    out += s.ready.ready ? "ready\n" : "NOT READY (" + s.ready.hop + ": " + s.ready.message + ")\n";
    if(!s.ready.ready && !s.ready.fix.empty())
        out += "  fix: " + s.ready.fix + "\n";
    std::snprintf(line, sizeof line, "%-14s %10s  %s\n", "", "requests", "errors");
    out += line;
    std::snprintf(line, sizeof line, "%-14s %10llu  %s\n",
                  s.last_minute_span_s >= 59 ? "last minute" : ("last " + duration_text(s.last_minute_span_s)).c_str(),
                  static_cast<unsigned long long>(s.last_minute.requests), errors_text(s.last_minute).c_str());
    out += line;
    std::snprintf(line, sizeof line, "%-14s %10llu  %s\n", "since start",
                  static_cast<unsigned long long>(s.since_start.requests), errors_text(s.since_start).c_str());
    out += line;
    std::snprintf(line, sizeof line, "open: %llu client connections, %llu streams, %llu pooled proxy connections\n",
                  static_cast<unsigned long long>(s.client_connections), static_cast<unsigned long long>(s.open_streams),
                  static_cast<unsigned long long>(s.pooled_upstream));
    out += line;
    if(s.models.empty())
        return out + "no streamed completions yet\n";
    std::snprintf(line, sizeof line, "%-32s %8s %10s %10s %10s\n", "MODEL", "STREAMS", "TTFT p50", "TTFT p95", "TOKENS/S");
    out += line;
    for(const auto& m : s.models)
    {
        char tps[32] = "-";
        if(m.tokens_per_second)
            std::snprintf(tps, sizeof tps, "%.1f", *m.tokens_per_second);
        std::snprintf(line, sizeof line, "%-32s %8llu %10s %10s %10s\n", m.model.c_str(),
                      static_cast<unsigned long long>(m.streams), seconds_text(m.ttft_p50_s).c_str(),
                      seconds_text(m.ttft_p95_s).c_str(), tps);
        out += line;
    }
    return out;
}

} // namespace mrb
