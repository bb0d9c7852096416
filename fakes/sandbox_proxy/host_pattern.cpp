#include "host_pattern.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace fakes::sandbox_proxy {

std::string
lower_host(std::string_view host)
{
    if(host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if(!host.empty() && host.back() == '.')
        host.remove_suffix(1);
    std::string out(host);
    std::transform(out.begin(), out.end(), out.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

static std::uint16_t
parse_port(std::string_view text, std::string_view whole)
{
    unsigned value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if(text.empty() || ec != std::errc{} || p != text.data() + text.size() ||
       value == 0 || value > 65535)
        throw std::invalid_argument("bad port in '" + std::string(whole) + "'");
    return static_cast<std::uint16_t>(value);
}

std::pair<std::string, std::optional<std::uint16_t>>
split_host_port(std::string_view text)
{
    if(!text.empty() && text.front() == '[')
    {
        auto close = text.find(']');
        if(close == std::string_view::npos)
            throw std::invalid_argument("unclosed '[' in '" + std::string(text) + "'");
        auto host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if(rest.empty())
            return {std::string(host), std::nullopt};
        if(rest.front() != ':')
            throw std::invalid_argument("junk after ']' in '" + std::string(text) + "'");
        return {std::string(host), parse_port(rest.substr(1), text)};
    }
    auto colons = std::count(text.begin(), text.end(), ':');
    if(colons == 1)
    {
        auto c = text.find(':');
        return {std::string(text.substr(0, c)), parse_port(text.substr(c + 1), text)};
    }
    // No colon, or a bare IPv6 literal (several colons, no port possible).
    return {std::string(text), std::nullopt};
}

host_pattern
host_pattern::parse(std::string_view text)
{
    if(text.empty())
        throw std::invalid_argument("empty host pattern");
    host_pattern p;
    p.text_ = std::string(text);
    auto [host, port] = split_host_port(text);
    p.port_ = port;
    if(host == "*.")
        throw std::invalid_argument("wildcard without a domain in '" + std::string(text) + "'");
    host = lower_host(host);
    if(host.empty() || host == "*")
    {
        // `*`, `*:443` and the short `:443` are catch-alls.
        p.kind_ = kind::any;
    }
    else if(host.rfind("*.", 0) == 0)
    {
        if(host.size() < 3 || host.find('*', 1) != std::string::npos)
            throw std::invalid_argument("bad wildcard pattern '" + std::string(text) + "'");
        p.kind_ = kind::wildcard;
        p.host_ = host.substr(1); // keep the dot: ".example.com"
    }
    else
    {
        if(host.find('*') != std::string::npos)
            throw std::invalid_argument("'*' only allowed as a leading label in '" +
                std::string(text) + "'");
        p.kind_ = kind::exact;
        p.host_ = host;
    }
    return p;
}

bool
host_pattern::matches(std::string_view host, std::uint16_t port) const
{
    if(port_ && *port_ != port)
        return false;
    switch(kind_)
    {
    case kind::exact:
        return host == host_;
    case kind::wildcard:
        // Subdomains only: the apex is not matched (it would need the leading dot).
        return host.size() > host_.size() &&
            host.compare(host.size() - host_.size(), host_.size(), host_) == 0;
    case kind::any:
        return true;
    }
    return false;
}

long
host_pattern::specificity() const
{
    long const with_port = port_ ? 1 : 0;
    switch(kind_)
    {
    case kind::exact:
        return 4'000'000 + with_port * 1'000'000;
    case kind::wildcard:
        // Longest suffix first; at equal length the port-specific one first.
        return 1'000 + static_cast<long>(host_.size()) * 2 + with_port;
    case kind::any:
        return 1 + with_port;
    }
    return 0;
}

} // namespace fakes::sandbox_proxy
