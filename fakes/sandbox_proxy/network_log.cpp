#include "network_log.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace fakes::sandbox_proxy {

std::string
network_log::rfc3339(std::chrono::system_clock::time_point t)
{
    auto const secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string
network_log::text_line(const network_log_entry& e)
{
    return rfc3339(e.timestamp) + " sandbox=" + e.sandbox + " " + e.type + " " + e.method +
        " " + e.url + " " + (e.allowed ? "allowed" : "denied");
}

nlohmann::ordered_json
network_log::json_entry(const network_log_entry& e)
{
    // Key order as in the documented example.
    nlohmann::ordered_json j;
    j["timestamp"] = rfc3339(e.timestamp);
    j["sandbox"] = e.sandbox;
    j["type"] = e.type;
    j["method"] = e.method;
    j["url"] = e.url;
    j["action"] = e.allowed ? "allowed" : "denied";
    return j;
}

std::string
network_log::json_document(const std::vector<network_log_entry>& entries)
{
    nlohmann::ordered_json doc;
    doc["entries"] = nlohmann::ordered_json::array();
    for(auto const& e : entries)
        doc["entries"].push_back(json_entry(e));
    return doc.dump();
}

std::string
network_log::connect_url(const std::string& host, unsigned port)
{
    bool const v6 = host.find(':') != std::string::npos;
    auto h = v6 ? "[" + host + "]" : host;
    if(port == 443)
        return "https://" + h + "/";
    return "https://" + h + ":" + std::to_string(port) + "/";
}

} // namespace fakes::sandbox_proxy
