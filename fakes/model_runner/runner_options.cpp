#include "runner_options.hpp"

#include "model_name.hpp"

#include <stdexcept>

namespace fakes::model_runner {

runner_options
options_from_json(const nlohmann::json& j)
{
    static const std::vector<std::string> known{
        "host", "port", "threads", "models", "replies", "load_delay_ms", "event_timestamps", "usage",
        "token_interval_us", "faults", "fault_header", "version", "root_body", "system_fingerprint",
        "fixed_created", "allowed_origins", "max_body", "max_recorded"};
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
    if(auto it = j.find("allowed_origins"); it != j.end())
        o.allowed_origins = it->get<std::vector<std::string>>();
    o.max_body = j.value("max_body", o.max_body);
    o.max_recorded = j.value("max_recorded", o.max_recorded);
    return o;
}

} // namespace fakes::model_runner
