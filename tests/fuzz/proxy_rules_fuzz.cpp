// Fuzz target: the fake sandbox proxy's rule matcher (fakes/sandbox_proxy policy, host_pattern,
// cidr_range): what decides, in the simulator, whether the bridge's request may pass. Invariants:
// building rules throws only std::invalid_argument; the checks never throw; a rule-decided verdict
// names a rule that matches the host, and no matching rule is more specific; the address check
// only ever narrows (never turns a denial into an allow); a range contains its own address.
// Input: a flags byte, then lines `A<allow-host>`, `B<block-host>`, `C<block-cidr>`,
// `D<allow-cidr>`, `E<bypass-host>`, `F<bypass-cidr>`, `H<host> <port>`, `I<address>`.

#include "fuzz_support.hpp"

#include "sandbox_proxy/policy.hpp"

#include <charconv>
#include <stdexcept>
#include <vector>

namespace sp = fakes::sandbox_proxy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    mrb::fuzz::byte_reader in(data, size);
    const auto flags = in.byte();
    sp::policy_rules rules;
    rules.mode = flags & 1 ? sp::policy_mode::deny : sp::policy_mode::allow;
    rules.default_rules = flags & 2;
    rules.ties = flags & 4 ? sp::tie_break::allow_wins : sp::tie_break::block_wins;
    rules.cidr_skip_needs_port = flags & 8;

    std::vector<std::pair<std::string, std::uint16_t>> hosts;
    std::vector<std::string> addresses;
    auto text = in.rest();
    while (!text.empty())
    {
        const auto nl = text.find('\n');
        const auto line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.empty())
            continue;
        const std::string arg(line.substr(1));
        switch (line.front())
        {
        case 'A': rules.allow_hosts.push_back(arg); break;
        case 'B': rules.block_hosts.push_back(arg); break;
        case 'C': rules.block_cidrs.push_back(arg); break;
        case 'D': rules.allow_cidrs.push_back(arg); break;
        case 'E': rules.bypass_hosts.push_back(arg); break;
        case 'F': rules.bypass_cidrs.push_back(arg); break;
        case 'H':
        {
            const auto sp_at = arg.rfind(' ');
            unsigned port = 80;
            if (sp_at != std::string::npos)
                std::from_chars(arg.data() + sp_at + 1, arg.data() + arg.size(), port);
            hosts.emplace_back(arg.substr(0, sp_at), static_cast<std::uint16_t>(port));
            break;
        }
        case 'I': addresses.push_back(arg); break;
        default: break;
        }
    }

    std::optional<sp::policy> p;
    try
    {
        p.emplace(rules);
    }
    catch (const std::invalid_argument&)
    {
        return 0; // start-up refusal of a malformed rule: the contract
    }

    // Every host rule as the matcher sees it, to check the verdict against independently.
    std::vector<std::pair<sp::host_pattern, bool>> all_rules;
    if (rules.default_rules)
        for (const auto& h : sp::default_allowed_hosts())
            all_rules.emplace_back(sp::host_pattern::parse(h), true);
    for (const auto& h : rules.allow_hosts)
        all_rules.emplace_back(sp::host_pattern::parse(h), true);
    for (const auto& h : rules.block_hosts)
        all_rules.emplace_back(sp::host_pattern::parse(h), false);
    for (const auto& [pattern, allow] : all_rules)
    {
        // An exact pattern matches the host it names, at its port.
        if (pattern.pattern_kind() != sp::host_pattern::kind::exact)
            continue;
        auto [host, port] = sp::split_host_port(pattern.text());
        FUZZ_CHECK(pattern.matches(sp::lower_host(host), port.value_or(1)),
                   "exact pattern misses its own host: " + mrb::fuzz::printable(pattern.text()));
    }

    if (addresses.empty())
        addresses.push_back("127.0.0.1");
    for (const auto& [host, port] : hosts)
    {
        const auto v = p->check_host(host, port);
        FUZZ_CHECK(v.host == sp::policy::normalize_host(host), v.host);
        FUZZ_CHECK(v.port == port, "port changed");
        if (v.reason == sp::verdict_reason::allow_rule || v.reason == sp::verdict_reason::block_rule)
        {
            const sp::host_pattern* decided = nullptr;
            long best = -1;
            for (const auto& [pattern, allow] : all_rules)
            {
                if (!pattern.matches(v.host, port))
                    continue;
                best = std::max(best, pattern.specificity());
                if (pattern.text() == v.rule && allow == v.allowed)
                    decided = &pattern;
            }
            FUZZ_CHECK(decided != nullptr, "deciding rule does not match: " + mrb::fuzz::printable(v.rule));
            FUZZ_CHECK(decided->specificity() == best, "a more specific rule matched: " + mrb::fuzz::printable(v.rule));
        }
        else
        {
            for (const auto& [pattern, allow] : all_rules)
                FUZZ_CHECK(!pattern.matches(v.host, port), "default verdict although a rule matches");
            FUZZ_CHECK(v.allowed == (rules.mode == sp::policy_mode::allow), "default verdict ignores the mode");
        }
        for (const auto& a : addresses)
        {
            boost::system::error_code ec;
            const auto addr = boost::asio::ip::make_address(a, ec);
            if (ec)
                continue;
            const auto after = p->check_address(v, addr);
            FUZZ_CHECK(!after.allowed || v.allowed, "the address check turned a denial into an allow");
            if (after.allowed && !v.skip_cidr_check)
                FUZZ_CHECK(!p->blocked_range(addr), "allowed into a blocked range: " + a);
        }
    }

    for (const auto& c : rules.block_cidrs)
    {
        const auto r = sp::cidr_range::parse(c);
        const auto slash = c.find('/');
        boost::system::error_code ec;
        const auto addr = boost::asio::ip::make_address(c.substr(0, slash), ec);
        if (!ec)
            FUZZ_CHECK(r.contains(addr), "range does not contain its own address: " + mrb::fuzz::printable(c));
    }
    return 0;
}
