#include "core/metrics.hpp"

#include "core/exchange.hpp"

#include <algorithm>
#include <cmath>
#include <charconv>

namespace mrb {

namespace {

bool contains(std::string_view s, std::string_view part) noexcept
{
    return s.find(part) != std::string_view::npos;
}

std::string number(double v)
{
    if(std::isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    // Shortest text that reads back as the same double ("10", "0.12", "1795000000.5").
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

/// A label value escaped per the exposition format (backslash, double quote, newline).
std::string label_value(std::string_view v)
{
    std::string out;
    out.reserve(v.size());
    for(char c : v)
    {
        if(c == '\\')
            out += "\\\\";
        else if(c == '"')
            out += "\\\"";
        else if(c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help)
{
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, const std::string& value)
{
    out.append(name);
    if(!labels.empty())
        out.append("{").append(labels).append("}");
    out.append(" ").append(value).append("\n");
}

template <std::size_t N>
void render_histogram(std::string& out, std::string_view name, const std::string& labels,
                      const histogram_counts<N>& h, const std::array<double, N>& bounds)
{
    const std::string prefix = labels.empty() ? "" : labels + ",";
    std::uint64_t cumulative = 0;
    for(std::size_t i = 0; i < N; ++i)
    {
        cumulative += h.buckets[i];
        sample(out, std::string(name) + "_bucket", prefix + "le=\"" + number(bounds[i]) + "\"",
               std::to_string(cumulative));
    }
    cumulative += h.buckets[N];
    sample(out, std::string(name) + "_bucket", prefix + "le=\"+Inf\"", std::to_string(cumulative));
    sample(out, std::string(name) + "_sum", labels, number(h.sum));
    sample(out, std::string(name) + "_count", labels, std::to_string(h.count));
}

template <std::size_t N>
void add(histogram_counts<N>& into, const histogram_counts<N>& from) noexcept
{
    for(std::size_t i = 0; i <= N; ++i)
        into.buckets[i] += from.buckets[i];
    into.sum += from.sum;
    into.count += from.count;
}

} // namespace

route_class classify_route(std::string_view target) noexcept
{
    target = target.substr(0, target.find('?'));
    if(target.ends_with("/chat/completions"))
        return route_class::chat_completions;
    if(target.ends_with("/completions"))
        return route_class::completions;
    if(target.ends_with("/embeddings"))
        return route_class::embeddings;
    if(target.ends_with("/models") || contains(target, "/models/"))
        return route_class::models;
    return route_class::other;
}

std::string_view to_string(route_class r) noexcept
{
    switch(r)
    {
    case route_class::chat_completions: return "chat_completions";
    case route_class::completions: return "completions";
    case route_class::embeddings: return "embeddings";
    case route_class::models: return "models";
    case route_class::other: return "other";
    }
    return "other";
}

namespace {

// One row per failure kind, in failure_kind order: the bridge's own answer it stands for (none for
// the kinds read from access flags) and its label value in the exposition.
struct failure_kind_row
{
    std::optional<failure> answer;
    failure_kind kind;
    std::string_view name;
};

constexpr failure_kind_row failure_kind_rows[] = {
    {failure::proxy_refused, failure_kind::proxy_refused, "proxy_refused"},
    {failure::proxy_unreachable, failure_kind::proxy_unreachable, "proxy_unreachable"},
    {failure::proxy_connect_timeout, failure_kind::proxy_connect_timeout, "proxy_connect_timeout"},
    {failure::proxy_reset, failure_kind::proxy_reset, "proxy_reset"},
    {failure::proxy_bad_response, failure_kind::proxy_bad_response, "proxy_bad_response"},
    {failure::proxy_timeout, failure_kind::response_header_timeout, "response_header_timeout"},
    {failure::proxy_denied, failure_kind::policy_denial, "policy_denial"},
    {failure::proxy_auth_refused, failure_kind::proxy_auth_refused, "proxy_auth_refused"},
    {failure::bad_request, failure_kind::framing_refusal, "framing_refusal"},
    {failure::header_too_large, failure_kind::header_too_large, "header_too_large"},
    {failure::body_too_large, failure_kind::body_too_large, "body_too_large"},
    {failure::connect_method, failure_kind::connect_method, "connect_method"},
    {failure::foreign_target, failure_kind::foreign_target, "foreign_target"},
    {failure::overloaded, failure_kind::overloaded, "overloaded"},
    {std::nullopt, failure_kind::model_runner_error, "model_runner_error"},
    {std::nullopt, failure_kind::upstream_cut, "upstream_cut"},
    {std::nullopt, failure_kind::client_abort, "client_abort"},
};

constexpr bool rows_follow_kind_order() noexcept
{
    std::size_t i = 0;
    for(const auto& r : failure_kind_rows)
        if(static_cast<std::size_t>(r.kind) != i++)
            return false;
    return i == failure_kind_count;
}
static_assert(rows_follow_kind_order(), "one row per failure_kind, in enum order");

} // namespace

std::string_view to_string(failure_kind k) noexcept
{
    const auto i = static_cast<std::size_t>(k);
    return i < failure_kind_count ? failure_kind_rows[i].name : std::string_view("unknown");
}

std::optional<failure_kind> failure_kind_row_of(failure f) noexcept
{
    for(const auto& r : failure_kind_rows)
        if(r.answer == f)
            return r.kind;
    return std::nullopt;
}

failure_kind failure_kind_of(failure f) noexcept
{
    // A failure without a row is a bug that metrics_test catches; count it as a protocol error.
    return failure_kind_row_of(f).value_or(failure_kind::proxy_bad_response);
}

std::string_view to_string(hop_label h) noexcept
{
    switch(h)
    {
    case hop_label::proxy: return "proxy";
    case hop_label::model_runner: return "model_runner";
    case hop_label::client: return "client";
    }
    return "client";
}

std::optional<counted_failure> failure_of(const exchange_sample& s) noexcept
{
    const hop_label upstream = s.via_proxy ? hop_label::proxy : hop_label::model_runner;
    if(s.answered)
    {
        const std::string_view hop = failure_hop(*s.answered, !s.via_proxy);
        const hop_label h = hop == "client" ? hop_label::client
                          : hop == "proxy" ? hop_label::proxy
                                           : hop_label::model_runner;
        return counted_failure{h, failure_kind_of(*s.answered)};
    }
    if(s.flags & flag_dc)
        return counted_failure{hop_label::client, failure_kind::client_abort};
    if(s.status != 0 && (s.flags & (flag_ur | flag_upe | flag_ut)))
        return counted_failure{upstream, failure_kind::upstream_cut};
    if(s.status >= 500)
        return counted_failure{hop_label::model_runner, failure_kind::model_runner_error};
    return std::nullopt;
}

std::size_t model_labels::slot(std::string_view name)
{
    std::lock_guard lock(mutex_);
    for(std::size_t i = 0; i < names_.size(); ++i)
        if(names_[i] == name)
            return i;
    if(names_.size() >= max_model_labels)
        return max_model_labels;
    names_.emplace_back(name);
    return names_.size() - 1;
}

std::vector<std::string> model_labels::names() const
{
    std::lock_guard lock(mutex_);
    return names_;
}

template <std::size_t N>
std::optional<double> histogram_quantile(double q, const histogram_counts<N>& h,
                                         const std::array<double, N>& bounds) noexcept
{
    std::uint64_t total = 0;
    for(auto b : h.buckets)
        total += b;
    if(total == 0)
        return std::nullopt;
    const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
    std::uint64_t below = 0;
    for(std::size_t i = 0; i <= N; ++i)
    {
        const std::uint64_t here = h.buckets[i];
        if(static_cast<double>(below + here) >= rank && here > 0)
        {
            if(i == N) // +Inf bucket: the highest finite bound, as Prometheus does
                return bounds[N - 1];
            const double lower = i == 0 ? 0.0 : bounds[i - 1];
            const double upper = bounds[i];
            return lower + (upper - lower) * ((rank - static_cast<double>(below)) / static_cast<double>(here));
        }
        below += here;
    }
    return bounds[N - 1];
}
template std::optional<double> histogram_quantile(double, const histogram_counts<latency_buckets_s.size()>&,
                                                  const std::array<double, latency_buckets_s.size()>&) noexcept;
template std::optional<double> histogram_quantile(double, const histogram_counts<rate_buckets_tps.size()>&,
                                                  const std::array<double, rate_buckets_tps.size()>&) noexcept;

std::uint64_t metrics_snapshot::requests_total() const noexcept
{
    std::uint64_t n = 0;
    for(const auto& route : requests)
        for(auto c : route)
            n += c;
    return n;
}

std::uint64_t metrics_snapshot::failures_total() const noexcept
{
    std::uint64_t n = 0;
    for(const auto& hop : failures)
        for(auto c : hop)
            n += c;
    return n;
}

template <std::size_t N>
void metrics_shard::histogram<N>::observe(double value, const std::array<double, N>& bounds) noexcept
{
    const auto at = std::lower_bound(bounds.begin(), bounds.end(), value); // le: value <= bound
    buckets[static_cast<std::size_t>(at - bounds.begin())].add(1);
    sum_micros.add(static_cast<std::uint64_t>(std::llround(std::max(value, 0.0) * 1e6)));
    count.add(1);
}

template <std::size_t N>
void metrics_shard::histogram<N>::fold_into(histogram_counts<N>& out) const noexcept
{
    for(std::size_t i = 0; i <= N; ++i)
        out.buckets[i] += buckets[i].get();
    out.sum += static_cast<double>(sum_micros.get()) / 1e6;
    out.count += count.get();
}

metrics_shard::metrics_shard(std::shared_ptr<model_labels> labels)
    : labels_(std::move(labels))
{
}

void metrics_shard::record(const exchange_sample& s)
{
    requests_[static_cast<std::size_t>(s.route)][std::min<unsigned>(s.status, 599)].add(1);
    if(auto f = failure_of(s))
        failures_[static_cast<std::size_t>(f->hop)][static_cast<std::size_t>(f->kind)].add(1);
    if(s.retried)
        stale_retries_.add(1);
    if(s.ttfb_us >= 0)
        response_head_.observe(static_cast<double>(s.ttfb_us) / 1e6, latency_buckets_s);
    duration_.observe(static_cast<double>(s.dur_us) / 1e6, latency_buckets_s);
    if(!s.stream || s.stream->events == 0)
        return;
    const stream_sample& st = *s.stream;
    const std::string_view name = st.model.empty() ? std::string_view("unknown") : st.model;
    std::size_t slot = max_model_labels;
    auto cached = std::find_if(slot_cache_.begin(), slot_cache_.end(), [&](const auto& e) { return e.first == name; });
    if(cached != slot_cache_.end())
        slot = cached->second;
    else
    {
        slot = labels_->slot(name);
        if(slot_cache_.size() < 4 * max_model_labels)
            slot_cache_.emplace_back(std::string(name), slot);
    }
    per_model& m = models_[slot];
    m.streams.add(1);
    m.events.add(st.events);
    m.bytes.add(st.bytes);
    m.completion_tokens.add(st.completion_tokens);
    if(st.first_event_us >= 0)
        m.first_token.observe(static_cast<double>(st.first_event_us) / 1e6, latency_buckets_s);
    if(st.tokens_per_second > 0)
        m.tokens_per_second.observe(st.tokens_per_second, rate_buckets_tps);
}

void metrics_shard::fold_into(metrics_snapshot& out) const
{
    for(std::size_t r = 0; r < route_class_count; ++r)
        for(std::size_t c = 0; c < 600; ++c)
            out.requests[r][c] += requests_[r][c].get();
    for(std::size_t h = 0; h < hop_label_count; ++h)
        for(std::size_t k = 0; k < failure_kind_count; ++k)
            out.failures[h][k] += failures_[h][k].get();
    out.stale_retries += stale_retries_.get();
    out.live.open_streams += open_streams_.get();
    out.live.pooled_upstream += pooled_.get();
    response_head_.fold_into(out.response_head);
    duration_.fold_into(out.duration);
    for(std::size_t i = 0; i < models_.size() && i < out.models.size(); ++i)
    {
        const per_model& m = models_[i];
        model_figures& o = out.models[i];
        m.first_token.fold_into(o.first_token);
        m.tokens_per_second.fold_into(o.tokens_per_second);
        o.streams += m.streams.get();
        o.events += m.events.get();
        o.bytes += m.bytes.get();
        o.completion_tokens += m.completion_tokens.get();
    }
}

metrics_snapshot fold(const std::vector<const metrics_shard*>& shards, const model_labels& labels)
{
    metrics_snapshot out;
    out.models.resize(max_model_labels + 1);
    for(const metrics_shard* s : shards)
        s->fold_into(out);
    const std::vector<std::string> names = labels.names();
    for(std::size_t i = 0; i < out.models.size(); ++i)
        out.models[i].model = i < names.size() ? names[i] : std::string(other_model_label);
    std::erase_if(out.models, [](const model_figures& m) { return m.streams == 0; });
    return out;
}

std::string render_prometheus(const metrics_snapshot& m)
{
    std::string out;
    out.reserve(8192);

    header(out, "mrb_requests_total", "counter", "Requests answered, by route class and status sent to the client.");
    for(std::size_t r = 0; r < route_class_count; ++r)
        for(std::size_t c = 0; c < 600; ++c)
            if(m.requests[r][c] != 0)
                sample(out, "mrb_requests_total",
                       "route=\"" + std::string(to_string(static_cast<route_class>(r))) + "\",code=\"" +
                           std::to_string(c) + "\"",
                       std::to_string(m.requests[r][c]));

    header(out, "mrb_failures_total", "counter", "Failed exchanges, by the hop that failed and the kind of failure.");
    for(std::size_t h = 0; h < hop_label_count; ++h)
        for(std::size_t k = 0; k < failure_kind_count; ++k)
            if(m.failures[h][k] != 0)
                sample(out, "mrb_failures_total",
                       "hop=\"" + std::string(to_string(static_cast<hop_label>(h))) + "\",kind=\"" +
                           std::string(to_string(static_cast<failure_kind>(k))) + "\"",
                       std::to_string(m.failures[h][k]));

    header(out, "mrb_stale_retries_total", "counter", "Requests resent once on a fresh connection after a pooled one proved stale.");
    sample(out, "mrb_stale_retries_total", "", std::to_string(m.stale_retries));

    header(out, "mrb_response_head_seconds", "histogram", "Time from the request to the response head.");
    render_histogram(out, "mrb_response_head_seconds", "", m.response_head, latency_buckets_s);
    header(out, "mrb_exchange_duration_seconds", "histogram", "Time from the request to the end of the exchange.");
    render_histogram(out, "mrb_exchange_duration_seconds", "", m.duration, latency_buckets_s);

    header(out, "mrb_stream_first_token_seconds", "histogram", "Streamed completions: time from the request to the first event, per model.");
    for(const auto& mf : m.models)
        render_histogram(out, "mrb_stream_first_token_seconds", "model=\"" + label_value(mf.model) + "\"",
                         mf.first_token, latency_buckets_s);
    header(out, "mrb_stream_tokens_per_second", "histogram", "Streamed completions: generation speed, per model.");
    for(const auto& mf : m.models)
        render_histogram(out, "mrb_stream_tokens_per_second", "model=\"" + label_value(mf.model) + "\"",
                         mf.tokens_per_second, rate_buckets_tps);
    const struct
    {
        const char* name;
        const char* help;
        std::uint64_t model_figures::*field;
    } per_model[] = {
        {"mrb_streams_total", "Streamed completions, per model.", &model_figures::streams},
        {"mrb_stream_events_total", "Server-sent events relayed, per model.", &model_figures::events},
        {"mrb_stream_bytes_total", "Streamed response bytes relayed, per model.", &model_figures::bytes},
        {"mrb_stream_completion_tokens_total", "Completion tokens streamed, per model.", &model_figures::completion_tokens},
    };
    for(const auto& pm : per_model)
    {
        header(out, pm.name, "counter", pm.help);
        for(const auto& mf : m.models)
            sample(out, pm.name, "model=\"" + label_value(mf.model) + "\"", std::to_string(mf.*pm.field));
    }

    header(out, "mrb_client_connections", "gauge", "Open client connections.");
    sample(out, "mrb_client_connections", "", std::to_string(m.live.client_connections));
    header(out, "mrb_open_streams", "gauge", "Responses being relayed right now.");
    sample(out, "mrb_open_streams", "", std::to_string(m.live.open_streams));
    header(out, "mrb_upstream_pooled_connections", "gauge", "Idle proxy connections kept for reuse.");
    sample(out, "mrb_upstream_pooled_connections", "", std::to_string(m.live.pooled_upstream));

    header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sample(out, "process_resident_memory_bytes", "", std::to_string(m.process.resident_bytes));
    header(out, "process_open_fds", "gauge", "Number of open file descriptors.");
    sample(out, "process_open_fds", "", std::to_string(m.process.open_fds));
    header(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
    sample(out, "process_start_time_seconds", "", number(m.process.start_time_seconds));
    return out;
}

} // namespace mrb
