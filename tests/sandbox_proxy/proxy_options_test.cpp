#include "sandbox_proxy/proxy_options.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fakes::sandbox_proxy {
namespace {

TEST(proxy_options, defaults_from_an_empty_object)
{
    auto o = options_from_json(nlohmann::json::object());
    EXPECT_EQ(o.port, 3128);
    EXPECT_EQ(o.policy.mode, policy_mode::allow);
    EXPECT_TRUE(o.policy.default_rules);
    EXPECT_EQ(o.deny, deny_style::sbx_403);
    EXPECT_EQ(o.upstream_error.status, 502u);
    EXPECT_EQ(o.faults.refuse, refuse_mode::none);
    EXPECT_EQ(o.max_request_body, 0u); // no limit: a 100 MB upload streams through
    EXPECT_EQ(o.connect, connect_mode::intercept); // the real proxy terminates TLS
    EXPECT_EQ(o.ca_cert_file, "");
}

TEST(proxy_options, connect_mode_and_deny_styles)
{
    auto o = options_from_json(nlohmann::json::parse(R"({"connect": "tunnel", "ca_cert_file": "/tmp/ca.pem", "deny_style": "close"})"));
    EXPECT_EQ(o.connect, connect_mode::tunnel);
    EXPECT_EQ(o.ca_cert_file, "/tmp/ca.pem");
    EXPECT_EQ(o.deny, deny_style::close);
    EXPECT_EQ(options_from_json(nlohmann::json::parse(R"({"deny_style": "500_other"})")).deny, deny_style::other_500);
    EXPECT_THROW(options_from_json(nlohmann::json::parse(R"({"connect": "mitm"})")), std::invalid_argument);
}

TEST(proxy_options, full_schema)
{
    auto o = options_from_json(nlohmann::json::parse(R"({
        "port": 0,
        "policy": {"mode": "deny", "allow_hosts": ["localhost:12434"], "block_hosts": ["x.com"],
                   "block_cidrs": ["203.0.113.0/24"], "allow_cidrs": ["::1/128"],
                   "bypass_hosts": ["localhost"], "bypass_cidrs": ["127.0.0.0/8"],
                   "default_rules": false, "ties": "allow_wins", "cidr_skip_needs_port": true},
        "deny_style": 500,
        "resolve": ["api.openai.com=127.0.0.1:4000"],
        "localhost_order": "ipv6_first",
        "cidr_check_overrides": true,
        "credentials": {"OPENAI_API_KEY": "sk-test"},
        "use_environment": false,
        "upstream_error": {"status": 503, "content_type": "application/json", "body": "{}"},
        "faults": {"refuse": "stop_listening", "close_after_requests": 3, "idle_close_ms": 50,
                   "announce_close": true, "latency_ms": 20, "buffer_responses": true,
                   "reset_after_bytes": 100},
        "sandbox_name": "openclaw",
        "network_log": {"file": "/tmp/x.log", "json": true},
        "connect_timeout_ms": 250,
        "record_limit": 10,
        "max_request_body": 1048576
    })"));
    EXPECT_EQ(o.port, 0);
    EXPECT_EQ(o.policy.mode, policy_mode::deny);
    EXPECT_EQ(o.policy.allow_hosts, std::vector<std::string>{"localhost:12434"});
    EXPECT_EQ(o.policy.bypass_cidrs, std::vector<std::string>{"127.0.0.0/8"});
    EXPECT_FALSE(o.policy.default_rules);
    EXPECT_EQ(o.policy.ties, tie_break::allow_wins);
    EXPECT_TRUE(o.policy.cidr_skip_needs_port);
    EXPECT_EQ(o.deny, deny_style::go_500);
    EXPECT_EQ(o.localhost, localhost_order::ipv6_first);
    EXPECT_TRUE(o.cidr_check_overrides);
    EXPECT_EQ(o.credentials.at("OPENAI_API_KEY"), "sk-test");
    EXPECT_FALSE(o.use_environment);
    EXPECT_EQ(o.upstream_error.status, 503u);
    EXPECT_EQ(o.faults.refuse, refuse_mode::stop_listening);
    EXPECT_EQ(o.faults.close_after_requests, 3u);
    EXPECT_EQ(o.faults.idle_close.count(), 50);
    EXPECT_TRUE(o.faults.announce_close);
    EXPECT_EQ(o.faults.latency.count(), 20);
    EXPECT_TRUE(o.faults.buffer_responses);
    EXPECT_EQ(o.faults.reset_after_bytes, 100u);
    EXPECT_EQ(o.sandbox_name, "openclaw");
    EXPECT_EQ(o.network_log_file, "/tmp/x.log");
    EXPECT_TRUE(o.network_log_json);
    EXPECT_EQ(o.connect_timeout.count(), 250);
    EXPECT_EQ(o.record_limit, 10u);
    EXPECT_EQ(o.max_request_body, 1048576u);
}

TEST(proxy_options, mistakes_are_reported)
{
    for(auto const* bad : {R"({"prot": 1})", R"({"policy": {"mode": "maybe"}})",
            R"({"policy": {"allow_hosts": ["a:b"]}})", R"({"policy": {"block_cidrs": ["1.2.3.4/40"]}})",
            R"({"deny_style": "418"})", R"({"resolve": ["x"]})", R"({"faults": {"refuse": "sometimes"}})",
            R"({"faults": {"latency_ms": -1}})", R"({"port": "x"})", R"({"upstream_error": {"status": 42}})", R"({"record_limit": 0})",
            R"({"max_request_body": -1})",
            R"([])"})
        EXPECT_THROW(options_from_json(nlohmann::json::parse(bad)), std::invalid_argument) << bad;
}

} // namespace
} // namespace fakes::sandbox_proxy
