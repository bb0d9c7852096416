#include "fake_openclaw.hpp"

#include "config_locator.hpp"
#include "json5_reader.hpp"
#include "key_state.hpp"
#include "model_ref.hpp"
#include "request_builder.hpp"
#include "turn_runner.hpp"
#include "user_messages.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fakes::openclaw {

namespace {

// What a run needs once openclaw.json has been read: a request factory, or the reason why not.
struct prepared_turn
{
    std::function<built_request()> make_request;
    turn_result failure;  // error == config_error when make_request is empty
    std::string config_path;
    std::string provider;
    std::string model_label;  // "provider/model", as OpenClaw names it in its messages
};

// OpenClaw names the model in some messages ("⚠️ provider/model request failed ...").
void
name_the_model(turn_result& r, std::string const& label)
{
    if (auto at = r.user_message.find("{model}"); at != std::string::npos)
        r.user_message.replace(at, 7, label);
}

turn_result
config_failure(std::string detail, std::string path)
{
    turn_result r;
    r.error = error_class::config_error;
    auto const outcome = user_messages::for_failure(r.error, 0, detail);
    r.detail = std::move(detail);
    r.user_message = outcome.message;
    r.exit_code = outcome.exit_code;
    r.config_path = std::move(path);
    return r;
}

prepared_turn
prepare(client_options const& o)
{
    prepared_turn p;
    nlohmann::json config;
    if (o.config)
    {
        config = *o.config;
        p.config_path = "(inline)";
    }
    else
    {
        auto const where = config_locator::locate(o.config_path, config_env::from_process());
        if (!where)
        {
            p.failure = config_failure("no config file: set --config, OPENCLAW_CONFIG_PATH or HOME", "");
            return p;
        }
        p.config_path = where->path;
        std::ifstream in(where->path, std::ios::binary);
        if (!in)
        {
            p.failure = config_failure("cannot read " + where->path + " (found via " + where->source + ")", where->path);
            return p;
        }
        std::stringstream text;
        text << in.rdbuf();
        auto parsed = json5_reader::parse(text.str());
        if (!parsed)
        {
            p.failure = config_failure(where->path + ": " + parsed.error->message, where->path);
            return p;
        }
        config = std::move(parsed.value);
    }

    auto resolved = model_ref::resolve(config);
    if (!resolved.model)
    {
        p.failure = config_failure(p.config_path + ": " + resolved.error, p.config_path);
        return p;
    }
    auto const probe = request_builder::build(*resolved.model, o.message, "00-0-0-01");
    if (!probe.error.empty())
    {
        p.failure = config_failure(p.config_path + ": " + probe.error, p.config_path);
        return p;
    }

    p.provider = resolved.model->provider_id;
    p.model_label = resolved.model->provider_id + "/" + resolved.model->model_id;
    auto rng = std::make_shared<std::mt19937_64>(o.seed != 0 ? o.seed : std::random_device{}());
    // One session per run, as `openclaw agent exec`; the timestamp is taken per request.
    turn_facts facts;
    facts.session_id = request_builder::make_session_id(*rng);
    p.make_request = [model = *resolved.model, message = o.message, rng, facts] {
        auto now = facts;
        now.timestamp = request_builder::format_timestamp(std::chrono::system_clock::now());
        return request_builder::build(model, message, request_builder::make_traceparent(*rng), now);
    };
    return p;
}

template <class T>
void
read_optional(nlohmann::json const& j, char const* key, T& into)
{
    if (auto it = j.find(key); it != j.end())
        into = it->get<T>();
}

nlohmann::json
stats_json(latency_stats const& s)
{
    return {{"count", s.count}, {"min_us", s.min_us}, {"p50_us", s.p50_us}, {"p90_us", s.p90_us},
        {"p99_us", s.p99_us}, {"max_us", s.max_us}, {"mean_us", s.mean_us}};
}

// A key still cooling down after a 401/403: OpenClaw sends nothing.
std::optional<turn_result>
cooldown_refusal(client_options const& o, prepared_turn const& p)
{
    auto const file = key_state::file_for(o.state_dir);
    if (!file)
        return std::nullopt;
    auto const left = key_state::disabled_for(*file, p.provider, std::chrono::system_clock::now());
    if (left.count() <= 0)
        return std::nullopt;
    turn_result r;
    r.error = error_class::key_cooldown;
    r.detail = "key disabled in " + file->string();
    auto const secs = std::chrono::duration_cast<std::chrono::seconds>(left + std::chrono::milliseconds(999));
    auto const outcome = user_messages::for_failure(r.error, 0, user_messages::cooldown_message(p.provider, secs));
    r.user_message = outcome.message;
    r.exit_code = outcome.exit_code;
    r.config_path = p.config_path;
    return r;
}

void
remember_auth_failure(client_options const& o, prepared_turn const& p, turn_result& r)
{
    if (!r.key_disabled)
        return;
    auto const file = key_state::file_for(o.state_dir);
    std::string error;
    if (file && !key_state::disable(*file, p.provider, std::chrono::system_clock::now() + o.key_cooldown,
                    r.status, error))
        r.detail += " (key state not saved: " + error + ")";
}

}  // namespace

latency_stats
latency_stats::of(std::vector<std::int64_t> samples)
{
    latency_stats s;
    if (samples.empty())
        return s;
    std::sort(samples.begin(), samples.end());
    auto rank = [&](double q) {
        // Nearest-rank percentile.
        auto idx = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
        return samples[std::clamp<std::size_t>(idx, 1, samples.size()) - 1];
    };
    s.count = static_cast<std::int64_t>(samples.size());
    s.min_us = samples.front();
    s.max_us = samples.back();
    s.p50_us = rank(0.50);
    s.p90_us = rank(0.90);
    s.p99_us = rank(0.99);
    s.mean_us = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
    return s;
}

client_options
options_from_json(nlohmann::json const& j)
{
    static constexpr char const* known[] = {"config_path", "config", "message", "retries",
        "backoff_ms", "connect_timeout_ms", "idle_timeout_ms", "repeat", "concurrency", "seed", "state_dir",
        "key_cooldown_ms"};
    if (!j.is_object())
        throw std::invalid_argument("fake-openclaw options must be a JSON object");
    for (auto const& [key, value] : j.items())
        if (std::find_if(std::begin(known), std::end(known), [&](char const* k) { return key == k; }) ==
            std::end(known))
            throw std::invalid_argument("unknown fake-openclaw option \"" + key + "\"");

    client_options o;
    if (auto it = j.find("config_path"); it != j.end())
        o.config_path = it->get<std::string>();
    if (auto it = j.find("config"); it != j.end())
        o.config = *it;
    read_optional(j, "message", o.message);
    read_optional(j, "retries", o.retries);
    read_optional(j, "repeat", o.repeat);
    read_optional(j, "concurrency", o.concurrency);
    read_optional(j, "seed", o.seed);
    if (auto it = j.find("backoff_ms"); it != j.end())
        o.backoff_unit = std::chrono::milliseconds(it->get<std::int64_t>());
    if (auto it = j.find("connect_timeout_ms"); it != j.end())
        o.connect_timeout = std::chrono::milliseconds(it->get<std::int64_t>());
    if (auto it = j.find("idle_timeout_ms"); it != j.end())
        o.idle_timeout = std::chrono::milliseconds(it->get<std::int64_t>());
    if (auto it = j.find("state_dir"); it != j.end())
        o.state_dir = it->get<std::string>();
    if (auto it = j.find("key_cooldown_ms"); it != j.end())
        o.key_cooldown = std::chrono::milliseconds(it->get<std::int64_t>());
    if (o.retries < -1 || o.repeat < 1 || o.concurrency < 1)
        throw std::invalid_argument("retries must be >= -1, repeat and concurrency >= 1");
    return o;
}

turn_result
run_turn(client_options const& options)
{
    auto p = prepare(options);
    if (!p.make_request)
        return p.failure;
    if (auto refused = cooldown_refusal(options, p))
        return *refused;
    auto results = turn_runner::run(p.make_request, options, 1, 1);
    turn_result r = std::move(results.front());
    r.config_path = p.config_path;
    name_the_model(r, p.model_label);
    remember_auth_failure(options, p, r);
    return r;
}

load_result
run_load(client_options const& options)
{
    load_result l;
    auto p = prepare(options);
    auto const start = std::chrono::steady_clock::now();
    std::optional<turn_result> refused;
    if (p.make_request)
        refused = cooldown_refusal(options, p);
    if (!p.make_request)
        l.results.assign(static_cast<std::size_t>(std::max(options.repeat, 1)), p.failure);
    else if (refused)
        l.results.assign(static_cast<std::size_t>(std::max(options.repeat, 1)), *refused);
    else
    {
        l.results = turn_runner::run(p.make_request, options, options.repeat, options.concurrency);
        for (auto& r : l.results)
        {
            name_the_model(r, p.model_label);
            remember_auth_failure(options, p, r);
        }
    }
    l.wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start).count();

    std::vector<std::int64_t> ttfb, first_event, total, inter_event, event_delay;
    std::map<std::string, int> errors;
    for (auto const& r : l.results)
    {
        ++l.turns;
        l.requests_sent += r.requests_sent;
        if (r.error == error_class::none)
            ++l.succeeded;
        else
            ++errors[std::string(to_string(r.error))];
        if (r.ttfb_us >= 0)
            ttfb.push_back(r.ttfb_us);
        if (r.first_event_us >= 0)
            first_event.push_back(r.first_event_us);
        total.push_back(r.total_us);
        std::int64_t previous = -1;
        for (auto const& e : r.events)
        {
            if (e.is_comment)
                continue;
            if (e.delay_us >= 0)
                event_delay.push_back(e.delay_us);
            if (previous >= 0)
                inter_event.push_back(e.t_us - previous);
            previous = e.t_us;
        }
    }
    l.errors.assign(errors.begin(), errors.end());
    l.turns_per_second = l.wall_us > 0 ? l.turns * 1e6 / static_cast<double>(l.wall_us) : 0;
    l.ttfb = latency_stats::of(std::move(ttfb));
    l.first_event = latency_stats::of(std::move(first_event));
    l.total = latency_stats::of(std::move(total));
    l.inter_event = latency_stats::of(std::move(inter_event));
    l.event_delay = latency_stats::of(std::move(event_delay));
    return l;
}

nlohmann::json
to_json(turn_result const& r, bool with_events)
{
    nlohmann::json j = {
        {"status", r.status},
        {"text", r.text},
        {"finish_reason", r.finish_reason},
        {"usage", r.usage},
        {"done_seen", r.done_seen},
        {"error", std::string(to_string(r.error))},
        {"detail", r.detail},
        {"user_message", r.user_message},
        {"exit_code", r.exit_code},
        {"requests_sent", r.requests_sent},
        {"attempts", r.attempts},
        {"waited_ms", r.waited_ms},
        {"retry_after_s", r.retry_after_s},
        {"key_disabled", r.key_disabled},
        {"ttfb_us", r.ttfb_us},
        {"first_event_us", r.first_event_us},
        {"total_us", r.total_us},
        {"reused_connection", r.reused_connection},
        {"config_path", r.config_path},
    };
    if (with_events)
    {
        auto events = nlohmann::json::array();
        for (auto const& e : r.events)
        {
            nlohmann::json ej = {{"t_us", e.t_us}, {"comment", e.is_comment}, {"data", e.data}};
            if (e.delay_us >= 0)
                ej["delay_us"] = e.delay_us;
            events.push_back(std::move(ej));
        }
        j["events"] = std::move(events);
    }
    return j;
}

nlohmann::json
to_json(load_result const& l)
{
    nlohmann::json errors = nlohmann::json::object();
    for (auto const& [name, count] : l.errors)
        errors[name] = count;
    return {
        {"turns", l.turns},
        {"succeeded", l.succeeded},
        {"errors", errors},
        {"requests_sent", l.requests_sent},
        {"wall_us", l.wall_us},
        {"turns_per_second", l.turns_per_second},
        {"ttfb", stats_json(l.ttfb)},
        {"first_event", stats_json(l.first_event)},
        {"total", stats_json(l.total)},
        {"inter_event", stats_json(l.inter_event)},
        {"event_delay", stats_json(l.event_delay)},
    };
}

}  // namespace fakes::openclaw
