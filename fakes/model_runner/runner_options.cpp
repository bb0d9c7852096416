#include "runner_options.hpp"

#include "model_name.hpp"

#include <stdexcept>

namespace fakes::model_runner {

std::vector<std::string>
engine_default_origins()
{
    std::vector<std::string> out;
    for(const char* scheme : {"http", "https"})
        for(const char* host : {"localhost", "127.0.0.1", "0.0.0.0"})
        {
            out.push_back(std::string(scheme) + "://" + host);
            out.push_back(std::string(scheme) + "://" + host + ":*");
        }
    return out;
}

void
cors_from_text(std::string_view text, runner_options& o)
{
    if(text == "all")
        o.cors = cors_mode::all;
    else if(text == "none")
        o.cors = cors_mode::none;
    else if(text == "engine-default")
    {
        o.cors = cors_mode::list;
        o.cors_origins = engine_default_origins();
    }
    else
    {
        // A comma-separated list, as Docker Desktop's --cors takes it; "engine-default" expands.
        o.cors = cors_mode::list;
        o.cors_origins.clear();
        std::string_view rest = text;
        while(!rest.empty())
        {
            auto comma = rest.find(',');
            auto item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            while(!item.empty() && item.front() == ' ')
                item.remove_prefix(1);
            while(!item.empty() && item.back() == ' ')
                item.remove_suffix(1);
            if(item.empty())
                continue;
            if(item == "engine-default")
                for(auto& d : engine_default_origins())
                    o.cors_origins.push_back(std::move(d));
            else if(item == "all" || item == "none")
                throw std::invalid_argument("cors: '" + std::string(item) + "' cannot be part of a list");
            else
                o.cors_origins.emplace_back(item);
        }
        if(o.cors_origins.empty())
            throw std::invalid_argument("cors must be all, none, engine-default or a list of origins");
    }
}

namespace {

void
cors_from_json(const nlohmann::json& j, runner_options& o)
{
    if(j.is_string())
        return cors_from_text(j.get<std::string>(), o);
    if(!j.is_array())
        throw std::invalid_argument("fake-model-runner options: cors must be \"all\", \"none\", \"engine-default\" or an array of origins");
    std::string joined;
    for(const auto& item : j)
    {
        if(!item.is_string() || item.get<std::string>().find(',') != std::string::npos)
            throw std::invalid_argument("fake-model-runner options: cors entries must be origin strings");
        joined += item.get<std::string>() + ",";
    }
    cors_from_text(joined, o);
}

} // namespace

runner_options
options_from_json(const nlohmann::json& j)
{
    static const std::vector<std::string> known{
        "host", "port", "threads", "models", "replies", "load_delay_ms", "event_timestamps", "usage",
        "token_interval_us", "faults", "fault_header", "version", "root_body", "system_fingerprint",
        "fixed_created", "cors", "prefill_rate", "max_body", "max_recorded"};
    if(!j.is_object())
        throw std::invalid_argument("fake-model-runner options must be a JSON object");
    for(auto it = j.begin(); it != j.end(); ++it)
        if(std::find(known.begin(), known.end(), it.key()) == known.end())
            throw std::invalid_argument("fake-model-runner options: unknown key '" + it.key() + "'");

    runner_options o;
    o.host = j.value("host", o.host);
    o.port = j.value("port", o.port);
    o.threads = j.value("threads", o.threads);
    if(auto it = j.find("models"); it != j.end())
        for(const auto& m : *it)
            o.models.push_back(model_from_json(m));
    if(auto it = j.find("replies"); it != j.end())
        for(const auto& r : *it)
        {
            auto s = scripted_reply_from_json(r);
            if(!s.model.empty())
                s.model = normalize_model_name(s.model);
            o.replies.push_back(std::move(s));
        }
    o.load_delay = std::chrono::milliseconds(j.value("load_delay_ms", 0));
    o.event_timestamps = j.value("event_timestamps", false);
    auto usage = j.value("usage", std::string("separate_chunk"));
    if(usage == "separate_chunk" || usage == "separate")
        o.usage = usage_placement::separate_chunk;
    else if(usage == "on_finish_chunk" || usage == "on_finish")
        o.usage = usage_placement::on_finish_chunk;
    else
        throw std::invalid_argument("fake-model-runner options: usage must be separate_chunk or on_finish_chunk");
    o.token_interval = std::chrono::microseconds(j.value("token_interval_us", 0));
    if(auto it = j.find("faults"); it != j.end())
        o.faults = fault_spec_from_json(*it);
    o.fault_header = j.value("fault_header", true);
    o.version = j.value("version", o.version);
    o.root_body = j.value("root_body", o.root_body);
    o.system_fingerprint = j.value("system_fingerprint", o.system_fingerprint);
    o.fixed_created = j.value("fixed_created", std::int64_t{0});
    if(auto it = j.find("cors"); it != j.end())
        cors_from_json(*it, o);
    if(auto it = j.find("prefill_rate"); it != j.end())
    {
        if(!it->is_number() || it->get<double>() < 0)
            throw std::invalid_argument("fake-model-runner options: prefill_rate must be a number of tokens per second >= 0");
        o.prefill_rate = it->get<double>();
    }
    o.max_body = j.value("max_body", o.max_body);
    o.max_recorded = j.value("max_recorded", o.max_recorded);
    return o;
}

} // namespace fakes::model_runner
