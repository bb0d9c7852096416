// Table-driven tests of the rule matcher against every documented example of
// external-systems.md §1.2 (docs.docker.com network-policies page).
#include "sandbox_proxy/policy.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

namespace fakes::sandbox_proxy {
namespace {

namespace ip = boost::asio::ip;

struct host_case
{
    const char* host;
    std::uint16_t port;
    bool allowed;
    verdict_reason reason;
};

void
expect_cases(const policy& p, std::initializer_list<host_case> cases)
{
    for(auto const& c : cases)
    {
        auto v = p.check_host(c.host, c.port);
        EXPECT_EQ(v.allowed, c.allowed) << c.host << ":" << c.port << " rule=" << v.rule;
        EXPECT_EQ(v.reason, c.reason) << c.host << ":" << c.port << " rule=" << v.rule;
    }
}

policy_rules
no_defaults(policy_mode mode)
{
    policy_rules r;
    r.mode = mode;
    r.default_rules = false;
    return r;
}

TEST(policy, exact_host_matches_any_port_but_not_subdomains)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"example.com"};
    expect_cases(policy(r), {
        {"example.com", 443, true, verdict_reason::allow_rule},
        {"example.com", 8080, true, verdict_reason::allow_rule},
        {"EXAMPLE.com.", 80, true, verdict_reason::allow_rule},
        {"www.example.com", 443, false, verdict_reason::default_deny},
        {"notexample.com", 443, false, verdict_reason::default_deny},
    });
}

TEST(policy, host_with_port_matches_that_port_only)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"example.com:443"};
    expect_cases(policy(r), {
        {"example.com", 443, true, verdict_reason::allow_rule},
        {"example.com", 80, false, verdict_reason::default_deny},
    });
}

TEST(policy, wildcard_matches_subdomains_not_apex)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"*.example.com"};
    expect_cases(policy(r), {
        {"api.example.com", 443, true, verdict_reason::allow_rule},
        {"a.b.example.com", 80, true, verdict_reason::allow_rule},
        {"example.com", 443, false, verdict_reason::default_deny},
        {"badexample.com", 443, false, verdict_reason::default_deny},
    });
}

TEST(policy, wildcard_with_port)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"*.example.com:443"};
    expect_cases(policy(r), {
        {"api.example.com", 443, true, verdict_reason::allow_rule},
        {"api.example.com", 80, false, verdict_reason::default_deny},
        {"example.com", 443, false, verdict_reason::default_deny},
    });
}

TEST(policy, apex_and_subdomains_need_both_patterns)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"example.com", "*.example.com"};
    expect_cases(policy(r), {
        {"example.com", 443, true, verdict_reason::allow_rule},
        {"www.example.com", 443, true, verdict_reason::allow_rule},
    });
}

// "block example.com and *.example.com but allow api.example.com:443"
TEST(policy, most_specific_wins_block_domain_allow_one_endpoint)
{
    auto r = no_defaults(policy_mode::allow);
    r.block_hosts = {"example.com", "*.example.com"};
    r.allow_hosts = {"api.example.com:443"};
    expect_cases(policy(r), {
        {"api.example.com", 443, true, verdict_reason::allow_rule},
        {"api.example.com", 80, false, verdict_reason::block_rule},
        {"www.example.com", 443, false, verdict_reason::block_rule},
        {"example.com", 443, false, verdict_reason::block_rule},
        {"other.org", 443, true, verdict_reason::default_allow},
    });
}

TEST(policy, specificity_order_of_the_docs)
{
    // Each level beats every level below it, whatever the rule order.
    auto r = no_defaults(policy_mode::deny);
    r.block_hosts = {"*", "*.example.com", "*.api.example.com", "api.example.com"};
    r.allow_hosts = {"*:443", "*.example.com:443", "*.api.example.com:443",
        "api.example.com:443"};
    expect_cases(policy(r), {
        {"api.example.com", 443, true, verdict_reason::allow_rule},    // exact host+port
        {"api.example.com", 80, false, verdict_reason::block_rule},    // exact host
        {"v1.api.example.com", 443, true, verdict_reason::allow_rule}, // *.api.example.com:443
        {"v1.api.example.com", 80, false, verdict_reason::block_rule}, // *.api.example.com
        {"www.example.com", 443, true, verdict_reason::allow_rule},    // *.example.com:443
        {"www.example.com", 80, false, verdict_reason::block_rule},    // *.example.com
        {"other.org", 443, true, verdict_reason::allow_rule},          // *:443
        {"other.org", 80, false, verdict_reason::block_rule},          // *
    });
    auto v = policy(r).check_host("v1.api.example.com", 443);
    EXPECT_EQ(v.rule, "*.api.example.com:443");
}

TEST(policy, longer_wildcard_beats_shorter_one)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"*.example.com"};
    r.block_hosts = {"*.internal.example.com"};
    expect_cases(policy(r), {
        {"db.internal.example.com", 443, false, verdict_reason::block_rule},
        {"www.example.com", 443, true, verdict_reason::allow_rule},
    });
}

TEST(policy, short_port_catch_all_form)
{
    auto r = no_defaults(policy_mode::allow);
    r.block_hosts = {":25"};
    expect_cases(policy(r), {
        {"mail.example.com", 25, false, verdict_reason::block_rule},
        {"mail.example.com", 587, true, verdict_reason::default_allow},
    });
}

// `--policy deny --allow-host api.example.com:443 --allow-host cdn.example.com
//  --allow-host "*.storage.example.com:443"`
TEST(policy, documented_deny_policy_example)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"api.example.com:443", "cdn.example.com", "*.storage.example.com:443"};
    expect_cases(policy(r), {
        {"example.com", 443, false, verdict_reason::default_deny},
        {"www.example.com", 443, false, verdict_reason::default_deny},
        {"api.example.com", 8080, false, verdict_reason::default_deny},
        {"api.example.com", 443, true, verdict_reason::allow_rule},
        {"cdn.example.com", 80, true, verdict_reason::allow_rule},
        {"cdn.example.com", 443, true, verdict_reason::allow_rule},
        {"eu.storage.example.com", 443, true, verdict_reason::allow_rule},
        {"eu.storage.example.com", 80, false, verdict_reason::default_deny},
        {"storage.example.com", 443, false, verdict_reason::default_deny},
    });
}

// `--policy deny --allow-host "*.npmjs.org"`: package managers only.
TEST(policy, documented_package_managers_only_example)
{
    policy_rules r;
    r.mode = policy_mode::deny;
    r.allow_hosts = {"*.npmjs.org"};
    expect_cases(policy(r), {
        {"registry.npmjs.org", 443, true, verdict_reason::allow_rule},
        {"npmjs.org", 443, false, verdict_reason::default_deny},
        {"github.com", 443, false, verdict_reason::default_deny},
        {"localhost", 12434, false, verdict_reason::default_deny},
    });
}

TEST(policy, defaults_of_a_new_sandbox)
{
    policy p{policy_rules{}};
    EXPECT_EQ(p.rules().mode, policy_mode::allow);
    expect_cases(p, {
        {"api.anthropic.com", 443, true, verdict_reason::allow_rule},
        {"anthropic.com", 443, true, verdict_reason::default_allow}, // apex not in *.anthropic.com
        {"platform.claude.com", 443, true, verdict_reason::allow_rule},
        {"platform.claude.com", 80, true, verdict_reason::default_allow},
        {"example.com", 443, true, verdict_reason::default_allow},
    });
    EXPECT_TRUE(p.check_host("api.anthropic.com", 443).skip_cidr_check);
    EXPECT_FALSE(p.check_host("example.com", 443).skip_cidr_check);
}

struct cidr_case
{
    const char* address;
    bool blocked;
    const char* range;
};

TEST(policy, default_blocked_cidrs)
{
    policy p{policy_rules{}};
    for(auto const& c : std::initializer_list<cidr_case>{
            {"10.1.2.3", true, "10.0.0.0/8"},
            {"127.0.0.1", true, "127.0.0.0/8"},
            {"169.254.169.254", true, "169.254.0.0/16"},
            {"172.16.0.1", true, "172.16.0.0/12"},
            {"172.31.255.255", true, "172.16.0.0/12"},
            {"172.32.0.1", false, ""},
            {"192.168.1.1", true, "192.168.0.0/16"},
            {"::1", true, "::1/128"},
            {"fd00::1", true, "fc00::/7"},
            {"fe80::1", true, "fe80::/10"},
            {"::ffff:127.0.0.1", true, "127.0.0.0/8"},
            {"93.184.216.34", false, ""},
            {"2606:2800:220:1::1", false, ""},
        })
    {
        auto v = p.check_address(p.check_host("example.com", 443), ip::make_address(c.address));
        EXPECT_EQ(!v.allowed, c.blocked) << c.address;
        if(c.blocked)
        {
            EXPECT_EQ(v.reason, verdict_reason::blocked_cidr) << c.address;
            EXPECT_EQ(v.rule, c.range) << c.address;
        }
    }
}

// localhost passes the default allow mode by name but its addresses are blocked.
TEST(policy, localhost_is_denied_by_default_through_cidrs)
{
    policy p{policy_rules{}};
    auto v = p.check_host("localhost", 12434);
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.reason, verdict_reason::default_allow);
    EXPECT_FALSE(p.check_address(v, ip::make_address("127.0.0.1")).allowed);
    EXPECT_FALSE(p.check_address(v, ip::make_address("::1")).allowed);
    // Aliases such as ip6-localhost are caught the same way.
    EXPECT_FALSE(p.check_address(p.check_host("ip6-localhost", 80), ip::make_address("::1")).allowed);
}

// The seed blog's `--allow-host localhost`: explicitly allowed hosts skip the CIDR check.
TEST(policy, explicitly_allowed_host_skips_cidr_checks)
{
    policy_rules r;
    r.allow_hosts = {"localhost"};
    policy p(r);
    auto v = p.check_host("localhost", 12434);
    EXPECT_TRUE(v.skip_cidr_check);
    EXPECT_TRUE(p.check_address(v, ip::make_address("127.0.0.1")).allowed);
    EXPECT_TRUE(p.check_address(v, ip::make_address("::1")).allowed);
}

TEST(policy, allow_host_with_port_covers_that_port_only)
{
    policy_rules r;
    r.allow_hosts = {"localhost:1234"};
    policy p(r);
    EXPECT_TRUE(p.check_address(p.check_host("localhost", 1234), ip::make_address("127.0.0.1")).allowed);
    auto other = p.check_address(p.check_host("localhost", 5678), ip::make_address("127.0.0.1"));
    EXPECT_FALSE(other.allowed);
    EXPECT_EQ(other.reason, verdict_reason::blocked_cidr);
}

TEST(policy, cidr_skip_needs_port_switch)
{
    policy_rules r;
    r.allow_hosts = {"localhost", "model.local:12434"};
    r.cidr_skip_needs_port = true;
    policy p(r);
    EXPECT_FALSE(p.check_host("localhost", 12434).skip_cidr_check);
    EXPECT_TRUE(p.check_host("model.local", 12434).skip_cidr_check);
}

// "HTTP requests to host.docker.internal are rewritten to localhost, so only the name
// localhost will work in the allow-list."
TEST(policy, host_docker_internal_is_matched_as_localhost)
{
    policy_rules r;
    r.allow_hosts = {"localhost"};
    policy p(r);
    auto v = p.check_host("host.docker.internal", 12434);
    EXPECT_EQ(v.host, "localhost");
    EXPECT_EQ(v.reason, verdict_reason::allow_rule);
    EXPECT_TRUE(p.check_address(v, ip::make_address("127.0.0.1")).allowed);

    // An allow rule on the other name is never an explicit allow: the CIDR check still runs
    // (the ralph datapoint: "--allow-host doesn't beat a CIDR block").
    policy_rules r2;
    r2.allow_hosts = {"host.docker.internal"};
    policy p2(r2);
    auto v2 = p2.check_host("Host.Docker.Internal", 12434);
    EXPECT_EQ(v2.reason, verdict_reason::default_allow);
    auto a2 = p2.check_address(v2, ip::make_address("::1"));
    EXPECT_FALSE(a2.allowed);
    EXPECT_EQ(a2.rule, "::1/128");
}

// The ralph fix: `--allow-cidr ::1/128` removes the IPv6 loopback from the block list.
TEST(policy, allow_cidr_removes_a_range_from_the_block_list)
{
    policy_rules r;
    r.allow_cidrs = {"::1/128"};
    policy p(r);
    auto v = p.check_host("host.docker.internal", 11434);
    EXPECT_TRUE(p.check_address(v, ip::make_address("::1")).allowed);
    EXPECT_FALSE(p.check_address(v, ip::make_address("127.0.0.1")).allowed);

    policy_rules r2;
    r2.allow_cidrs = {"192.168.1.0/24"};
    policy p2(r2);
    auto v2 = p2.check_host("nas.lan", 443);
    EXPECT_TRUE(p2.check_address(v2, ip::make_address("192.168.1.5")).allowed);
    EXPECT_FALSE(p2.check_address(v2, ip::make_address("192.168.2.5")).allowed);
    EXPECT_EQ(p2.blocked_range(ip::make_address("192.168.1.5")), std::nullopt);
}

// `--policy allow --block-cidr ...`: a name resolving into the range is blocked.
TEST(policy, block_cidr_matches_after_resolution)
{
    auto r = no_defaults(policy_mode::allow);
    r.block_cidrs = {"203.0.113.0/24"};
    policy p(r);
    auto v = p.check_host("intranet.example.com", 443);
    EXPECT_TRUE(v.allowed);
    auto a = p.check_address(v, ip::make_address("203.0.113.7"));
    EXPECT_FALSE(a.allowed);
    EXPECT_EQ(a.rule, "203.0.113.0/24");
    EXPECT_TRUE(p.check_address(v, ip::make_address("198.51.100.7")).allowed);
}

TEST(policy, blocked_host_is_stopped_before_resolution)
{
    policy_rules r;
    r.block_hosts = {"localhost"};
    r.allow_cidrs = {"127.0.0.0/8"};
    policy p(r);
    auto v = p.check_host("localhost", 12434);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.reason, verdict_reason::block_rule);
    // The address check does not resurrect a host the rules blocked.
    EXPECT_FALSE(p.check_address(v, ip::make_address("127.0.0.1")).allowed);
}

TEST(policy, equal_specificity_tie_is_a_switch)
{
    policy_rules r;
    r.allow_hosts = {"example.com"};
    r.block_hosts = {"example.com"};
    EXPECT_FALSE(policy(r).check_host("example.com", 443).allowed);
    r.ties = tie_break::allow_wins;
    EXPECT_TRUE(policy(r).check_host("example.com", 443).allowed);
}

TEST(policy, bypass_hosts_and_cidrs)
{
    policy_rules r;
    r.allow_hosts = {"localhost"};
    r.bypass_hosts = {"localhost"};
    policy p(r);
    EXPECT_TRUE(p.check_host("localhost", 12434).bypass);
    EXPECT_FALSE(p.check_host("api.openai.com", 443).bypass);

    policy_rules r2;
    r2.bypass_cidrs = {"127.0.0.0/8"};
    r2.allow_hosts = {"localhost"};
    policy p2(r2);
    EXPECT_TRUE(p2.check_address(p2.check_host("localhost", 80), ip::make_address("127.0.0.1")).bypass);
    EXPECT_FALSE(p2.check_address(p2.check_host("localhost", 80), ip::make_address("::1")).bypass);

    // --allow-cidr removes a range from the bypass list too.
    r2.allow_cidrs = {"127.0.0.1/32"};
    policy p3(r2);
    EXPECT_FALSE(p3.check_address(p3.check_host("localhost", 80), ip::make_address("127.0.0.1")).bypass);
    EXPECT_TRUE(p3.check_address(p3.check_host("localhost", 80), ip::make_address("127.0.0.2")).bypass);
}

TEST(policy, ip_literal_rules)
{
    auto r = no_defaults(policy_mode::deny);
    r.allow_hosts = {"127.0.0.1:8080", "[::1]:8080", "fe80::1"};
    expect_cases(policy(r), {
        {"127.0.0.1", 8080, true, verdict_reason::allow_rule},
        {"127.0.0.1", 8081, false, verdict_reason::default_deny},
        {"[::1]", 8080, true, verdict_reason::allow_rule},
        {"::1", 8081, false, verdict_reason::default_deny},
        {"fe80::1", 22, true, verdict_reason::allow_rule},
    });
}

TEST(policy, malformed_rules_are_rejected_at_start_up)
{
    for(auto const* bad : {"", "exa*mple.com", "*.", "host:0", "host:65536", "host:x",
            "[::1", "[::1]x"})
    {
        policy_rules r;
        r.allow_hosts = {bad};
        EXPECT_THROW(policy{r}, std::invalid_argument) << bad;
    }
    for(auto const* bad : {"10.0.0.0/33", "not-a-cidr", "::1/129"})
    {
        policy_rules r;
        r.block_cidrs = {bad};
        EXPECT_THROW(policy{r}, std::invalid_argument) << bad;
    }
}

} // namespace
} // namespace fakes::sandbox_proxy
