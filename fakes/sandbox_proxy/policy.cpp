#include "policy.hpp"

namespace fakes::sandbox_proxy {

const std::vector<std::string>&
default_blocked_cidrs()
{
    static const std::vector<std::string> v{"10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10"};
    return v;
}

const std::vector<std::string>&
default_allowed_hosts()
{
    static const std::vector<std::string> v{"*.anthropic.com", "platform.claude.com:443"};
    return v;
}

const char*
to_string(verdict_reason r)
{
    switch(r)
    {
    case verdict_reason::allow_rule: return "allow_rule";
    case verdict_reason::block_rule: return "block_rule";
    case verdict_reason::default_allow: return "default_allow";
    case verdict_reason::default_deny: return "default_deny";
    case verdict_reason::blocked_cidr: return "blocked_cidr";
    }
    return "?";
}

policy::policy(const policy_rules& rules)
    : rules_(rules)
{
    if(rules_.default_rules)
    {
        for(auto const& h : default_allowed_hosts())
            host_rules_.push_back({host_pattern::parse(h), true});
        for(auto const& c : default_blocked_cidrs())
            block_cidrs_.push_back(cidr_range::parse(c));
    }
    for(auto const& h : rules_.allow_hosts)
        host_rules_.push_back({host_pattern::parse(h), true});
    for(auto const& h : rules_.block_hosts)
        host_rules_.push_back({host_pattern::parse(h), false});
    for(auto const& h : rules_.bypass_hosts)
        bypass_hosts_.push_back(host_pattern::parse(h));
    for(auto const& c : rules_.block_cidrs)
        block_cidrs_.push_back(cidr_range::parse(c));
    for(auto const& c : rules_.allow_cidrs)
        allow_cidrs_.push_back(cidr_range::parse(c));
    for(auto const& c : rules_.bypass_cidrs)
        bypass_cidrs_.push_back(cidr_range::parse(c));
}

std::string
policy::normalize_host(std::string_view host)
{
    auto h = lower_host(host);
    if(h == "host.docker.internal")
        return "localhost";
    return h;
}

verdict
policy::check_host(std::string_view host, std::uint16_t port) const
{
    verdict v;
    v.host = normalize_host(host);
    v.port = port;

    // Most specific match wins; at equal specificity the tie-break switch decides.
    const rule* best = nullptr;
    for(auto const& r : host_rules_)
    {
        if(!r.pattern.matches(v.host, port))
            continue;
        if(!best || r.pattern.specificity() > best->pattern.specificity())
        {
            best = &r;
            continue;
        }
        if(r.pattern.specificity() == best->pattern.specificity() && r.allow != best->allow)
        {
            bool const prefer_allow = rules_.ties == tie_break::allow_wins;
            if(r.allow == prefer_allow)
                best = &r;
        }
    }

    if(best)
    {
        v.allowed = best->allow;
        v.reason = best->allow ? verdict_reason::allow_rule : verdict_reason::block_rule;
        v.rule = best->pattern.text();
        v.skip_cidr_check = best->allow &&
            (!rules_.cidr_skip_needs_port || best->pattern.has_port());
    }
    else
    {
        v.allowed = rules_.mode == policy_mode::allow;
        v.reason = v.allowed ? verdict_reason::default_allow : verdict_reason::default_deny;
    }

    for(auto const& b : bypass_hosts_)
        if(b.matches(v.host, port))
            v.bypass = true;
    return v;
}

bool
policy::removed_by_allow_cidr(const boost::asio::ip::address& addr) const
{
    for(auto const& a : allow_cidrs_)
        if(a.contains(addr))
            return true;
    return false;
}

std::optional<std::string>
policy::blocked_range(const boost::asio::ip::address& addr) const
{
    if(removed_by_allow_cidr(addr))
        return std::nullopt;
    for(auto const& c : block_cidrs_)
        if(c.contains(addr))
            return c.text();
    return std::nullopt;
}

verdict
policy::check_address(verdict v, const boost::asio::ip::address& addr) const
{
    if(!v.allowed)
        return v;
    if(!removed_by_allow_cidr(addr))
        for(auto const& c : bypass_cidrs_)
            if(c.contains(addr))
                v.bypass = true;
    if(v.skip_cidr_check)
        return v;
    if(auto range = blocked_range(addr))
    {
        v.allowed = false;
        v.reason = verdict_reason::blocked_cidr;
        v.rule = *range;
    }
    return v;
}

} // namespace fakes::sandbox_proxy
