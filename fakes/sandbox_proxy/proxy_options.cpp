#include "proxy_options.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

namespace fakes::sandbox_proxy {

using nlohmann::json;

static void
reject_unknown(const json& j, const std::set<std::string>& known, const char* where)
{
    if(!j.is_object())
        throw std::invalid_argument(std::string(where) + " must be a JSON object");
    for(auto const& [key, value] : j.items())
        if(!known.count(key))
            throw std::invalid_argument(std::string("unknown key '") + key + "' in " + where);
}

template<class T>
static void
get_to(const json& j, const char* key, T& out)
{
    if(auto it = j.find(key); it != j.end())
    {
        try
        {
            it->get_to(out);
        }
        catch(const json::exception& e)
        {
            throw std::invalid_argument(std::string("bad value for '") + key + "': " + e.what());
        }
    }
}

static void
get_ms(const json& j, const char* key, std::chrono::milliseconds& out)
{
    long long ms = out.count();
    get_to(j, key, ms);
    if(ms < 0)
        throw std::invalid_argument(std::string("'") + key + "' must be >= 0");
    out = std::chrono::milliseconds(ms);
}

policy_rules
policy_from_json(const json& j, policy_rules p)
{
    reject_unknown(j, {"mode", "allow_hosts", "block_hosts", "block_cidrs", "allow_cidrs",
        "bypass_hosts", "bypass_cidrs", "default_rules", "ties", "cidr_skip_needs_port"},
        "policy");
    std::string mode = p.mode == policy_mode::allow ? "allow" : "deny";
    get_to(j, "mode", mode);
    if(mode != "allow" && mode != "deny")
        throw std::invalid_argument("policy.mode must be allow or deny");
    p.mode = mode == "allow" ? policy_mode::allow : policy_mode::deny;
    get_to(j, "allow_hosts", p.allow_hosts);
    get_to(j, "block_hosts", p.block_hosts);
    get_to(j, "block_cidrs", p.block_cidrs);
    get_to(j, "allow_cidrs", p.allow_cidrs);
    get_to(j, "bypass_hosts", p.bypass_hosts);
    get_to(j, "bypass_cidrs", p.bypass_cidrs);
    get_to(j, "default_rules", p.default_rules);
    get_to(j, "cidr_skip_needs_port", p.cidr_skip_needs_port);
    std::string ties = p.ties == tie_break::block_wins ? "block_wins" : "allow_wins";
    get_to(j, "ties", ties);
    if(ties != "block_wins" && ties != "allow_wins")
        throw std::invalid_argument("policy.ties must be block_wins or allow_wins");
    p.ties = ties == "block_wins" ? tie_break::block_wins : tie_break::allow_wins;
    policy check(p); // validates every pattern now, not on the first request
    return p;
}

proxy_faults
faults_from_json(const json& j)
{
    reject_unknown(j, {"refuse", "close_after_requests", "idle_close_ms", "announce_close",
        "latency_ms", "buffer_responses", "reset_after_bytes"}, "faults");
    proxy_faults f;
    std::string refuse = "none";
    get_to(j, "refuse", refuse);
    if(refuse == "none")
        f.refuse = refuse_mode::none;
    else if(refuse == "close_on_accept")
        f.refuse = refuse_mode::close_on_accept;
    else if(refuse == "stop_listening")
        f.refuse = refuse_mode::stop_listening;
    else
        throw std::invalid_argument("faults.refuse must be none, close_on_accept or stop_listening");
    get_to(j, "close_after_requests", f.close_after_requests);
    get_ms(j, "idle_close_ms", f.idle_close);
    get_to(j, "announce_close", f.announce_close);
    get_ms(j, "latency_ms", f.latency);
    get_to(j, "buffer_responses", f.buffer_responses);
    if(auto it = j.find("reset_after_bytes"); it != j.end() && !it->is_null())
    {
        std::uint64_t n = 0;
        get_to(j, "reset_after_bytes", n);
        f.reset_after_bytes = n;
    }
    return f;
}

proxy_options
options_from_json(const json& j)
{
    reject_unknown(j, {"port", "policy", "deny_style", "resolve", "localhost_order",
        "cidr_check_overrides", "credentials", "use_environment", "upstream_error", "faults",
        "sandbox_name", "network_log", "connect_timeout_ms", "record_limit",
        "max_request_body", "connect", "ca_cert_file", "login"}, "sandbox proxy options");
    proxy_options o;
    get_to(j, "port", o.port);
    if(auto it = j.find("policy"); it != j.end())
        o.policy = policy_from_json(*it);
    if(auto it = j.find("deny_style"); it != j.end())
    {
        std::string s = it->is_number() ? std::to_string(it->get<int>()) : it->get<std::string>();
        o.deny = parse_deny_style(s);
    }
    get_to(j, "resolve", o.resolve);
    resolver check;
    for(auto const& r : o.resolve)
        check.add_override(r);
    std::string order = "ipv4_first";
    get_to(j, "localhost_order", order);
    if(order != "ipv4_first" && order != "ipv6_first")
        throw std::invalid_argument("localhost_order must be ipv4_first or ipv6_first");
    o.localhost = order == "ipv4_first" ? localhost_order::ipv4_first : localhost_order::ipv6_first;
    get_to(j, "cidr_check_overrides", o.cidr_check_overrides);
    get_to(j, "credentials", o.credentials);
    get_to(j, "use_environment", o.use_environment);
    if(auto it = j.find("upstream_error"); it != j.end())
    {
        reject_unknown(*it, {"status", "content_type", "body"}, "upstream_error");
        get_to(*it, "status", o.upstream_error.status);
        get_to(*it, "content_type", o.upstream_error.content_type);
        get_to(*it, "body", o.upstream_error.body);
        if(o.upstream_error.status < 100 || o.upstream_error.status > 599)
            throw std::invalid_argument("upstream_error.status must be 100..599");
    }
    if(auto it = j.find("faults"); it != j.end())
        o.faults = faults_from_json(*it);
    get_to(j, "sandbox_name", o.sandbox_name);
    if(auto it = j.find("network_log"); it != j.end())
    {
        reject_unknown(*it, {"file", "json"}, "network_log");
        get_to(*it, "file", o.network_log_file);
        get_to(*it, "json", o.network_log_json);
    }
    get_ms(j, "connect_timeout_ms", o.connect_timeout);
    get_to(j, "record_limit", o.record_limit);
    if(auto it = j.find("max_request_body"); it != j.end())
    {
        // get_to would wrap a negative number into a huge limit.
        if(!it->is_number_unsigned())
            throw std::invalid_argument("max_request_body must be a byte count >= 0");
        o.max_request_body = it->get<std::uint64_t>();
    }
    if(o.record_limit == 0)
        throw std::invalid_argument("record_limit must be > 0");
    std::string connect = "intercept";
    get_to(j, "connect", connect);
    if(connect != "intercept" && connect != "tunnel")
        throw std::invalid_argument("connect must be intercept or tunnel");
    o.connect = connect == "intercept" ? connect_mode::intercept : connect_mode::tunnel;
    get_to(j, "ca_cert_file", o.ca_cert_file);
    get_to(j, "login", o.login);
    if(!o.login.empty() && o.login.find(':') == std::string::npos)
        throw std::invalid_argument("login must be user:password");
    return o;
}

} // namespace fakes::sandbox_proxy
