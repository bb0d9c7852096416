#pragma once

#include "cidr_range.hpp"
#include "host_pattern.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fakes::sandbox_proxy {

enum class policy_mode { allow, deny };

/// UNCONFIRMED in the docs: who wins when an allow and a block rule are equally specific.
enum class tie_break { block_wins, allow_wins };

/// The rule set of `docker sandbox network proxy` (external-systems.md §1.1-1.2).
struct policy_rules
{
    policy_mode mode = policy_mode::allow;
    std::vector<std::string> allow_hosts;
    std::vector<std::string> block_hosts;
    std::vector<std::string> block_cidrs;
    std::vector<std::string> allow_cidrs;  // removes ranges from the block and bypass lists
    std::vector<std::string> bypass_hosts;
    std::vector<std::string> bypass_cidrs;
    /// The defaults of a new sandbox: the internal CIDRs blocked, `*.anthropic.com` and
    /// `platform.claude.com:443` allowed.
    bool default_rules = true;
    tie_break ties = tie_break::block_wins;
    /// UNCONFIRMED reading of "include a port number in the allow-list (e.g. localhost:1234)":
    /// when set, only allow rules carrying a port skip the CIDR check.
    bool cidr_skip_needs_port = false;
};

enum class verdict_reason
{
    allow_rule,     // an allow rule was the most specific match
    block_rule,     // a block rule was the most specific match
    default_allow,  // no rule, policy allow
    default_deny,   // no rule, policy deny
    blocked_cidr,   // the resolved address is in a blocked range
};

const char*
to_string(verdict_reason r);

/// The outcome of the host check (step 1) and, later, of the address check (step 2).
struct verdict
{
    bool allowed = false;
    verdict_reason reason = verdict_reason::default_allow;
    std::string host;             // normalised, after the host.docker.internal rewrite
    std::uint16_t port = 0;
    std::string rule;             // the pattern or CIDR that decided, empty for defaults
    bool skip_cidr_check = false; // explicitly allowed host
    bool bypass = false;          // no MITM: plain tunnel, no credential injection
};

/// Sans-I/O rule matcher. Construction validates every pattern and throws
/// std::invalid_argument (start-up only); the checks never throw.
class policy
{
public:
    explicit policy(const policy_rules& rules);

    /// Lower-case, strip brackets and trailing dot, rewrite `host.docker.internal` to
    /// `localhost` (the real proxy does this before matching and forwarding).
    static std::string
    normalize_host(std::string_view host);

    /// Step 1: the rules against the host named in the request.
    verdict
    check_host(std::string_view host, std::uint16_t port) const;

    /// Step 2, after resolution: the address against the blocked CIDRs, unless the host was
    /// explicitly allowed. Returns the updated verdict (also sets `bypass` for bypass CIDRs).
    verdict
    check_address(verdict v, const boost::asio::ip::address& addr) const;

    /// The blocked range containing `addr` (after --allow-cidr removals), if any.
    std::optional<std::string>
    blocked_range(const boost::asio::ip::address& addr) const;

    const policy_rules&
    rules() const { return rules_; }

private:
    struct rule
    {
        host_pattern pattern;
        bool allow;
    };

    bool
    removed_by_allow_cidr(const boost::asio::ip::address& addr) const;

    policy_rules rules_;
    std::vector<rule> host_rules_;
    std::vector<host_pattern> bypass_hosts_;
    std::vector<cidr_range> block_cidrs_;
    std::vector<cidr_range> allow_cidrs_;
    std::vector<cidr_range> bypass_cidrs_;
};

/// The documented defaults of a new sandbox.
const std::vector<std::string>&
default_blocked_cidrs();
const std::vector<std::string>&
default_allowed_hosts();

} // namespace fakes::sandbox_proxy
