#include "proxy_url.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/authority_view.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace mrb {
namespace {

std::string base64(std::string_view in)
{
    std::string out(boost::beast::detail::base64::encoded_size(in.size()), '\0');
    out.resize(boost::beast::detail::base64::encode(out.data(), in.data(), in.size()));
    return out;
}

std::uint16_t to_port(std::string_view digits, bool allow_zero, std::string_view whole)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value > 65535 ||
        (value == 0 && !allow_zero))
        throw std::invalid_argument("invalid port in '" + std::string(whole) + "'");
    return static_cast<std::uint16_t>(value);
}

} // namespace

env_lookup process_env()
{
    return [](const char* name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name))
            return std::string(v);
        return std::nullopt;
    };
}

proxy_choice choose_proxy(const std::optional<std::string>& flag, const env_lookup& env)
{
    if (flag && !flag->empty())
        return {*flag, "--proxy"};
    for (const char* name : {"HTTP_PROXY", "http_proxy"})
        if (auto v = env(name); v && !v->empty())
            return {*v, name};
    return {std::string(default_proxy_url_value), "default"};
}

std::string choose_proxy_url(const std::optional<std::string>& flag, const env_lookup& env)
{
    return choose_proxy(flag, env).url;
}

std::string redact_proxy_url(std::string_view url)
{
    const auto scheme = url.find("://");
    const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
    // The last '@' anywhere: a password may hold '/', '?', '#' or '@' when the URL is malformed.
    const auto at = url.rfind('@');
    if (at == std::string_view::npos || at < start)
        return std::string(url);
    const auto colon = url.substr(start, at - start).find(':');
    if (colon == std::string_view::npos)
        return std::string(url);
    return std::string(url.substr(0, start + colon + 1)) + "***" + std::string(url.substr(at));
}

proxy_endpoint parse_proxy_url(std::string_view text)
{
    const std::string shown = redact_proxy_url(text); // the only form an error message may carry
    std::string url(text);
    if (url.find("://") == std::string::npos)
        url = "http://" + url;
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed)
        throw std::invalid_argument("invalid proxy URL '" + shown + "': " + parsed.error().message());
    const auto& u = *parsed;
    if (u.scheme() != "http")
        throw std::invalid_argument("unsupported proxy URL '" + shown +
                                    "': only http:// proxies are supported");
    if (!u.encoded_path().empty() && u.encoded_path() != "/")
        throw std::invalid_argument("proxy URL '" + shown + "' must not have a path");
    if (u.has_query() || u.has_fragment())
        throw std::invalid_argument("proxy URL '" + shown + "' must not have a query or fragment");

    proxy_endpoint p;
    p.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.host_address()) : std::string(u.host());
    if (p.host.empty())
        throw std::invalid_argument("proxy URL '" + shown + "' has no host");
    if (u.has_port())
        p.port = to_port(u.port(), false, shown);
    std::string display = "http://";
    if (u.has_userinfo())
    {
        const std::string user = u.user();
        const std::string credentials = user + ":" + (u.has_password() ? std::string(u.password()) : "");
        p.authorization = "Basic " + base64(credentials);
        display += user + ":***@";
    }
    display += bridge_config::bracket(p.host) + ":" + std::to_string(p.port);
    p.display = display;
    return p;
}

host_port parse_host_port(std::string_view text, std::optional<std::uint16_t> default_port, bool allow_zero)
{
    if (text.empty())
        throw std::invalid_argument("empty address");
    auto parsed = boost::urls::parse_authority(text);
    if (!parsed || parsed->has_userinfo())
        throw std::invalid_argument("invalid address '" + redact_proxy_url(text) + "' (expected host:port)");
    host_port hp;
    hp.host = parsed->host_type() == boost::urls::host_type::ipv6 ? std::string(parsed->host_address())
                                                                   : std::string(parsed->host());
    if (hp.host.empty())
        throw std::invalid_argument("address '" + std::string(text) + "' has no host");
    if (parsed->has_port())
        hp.port = to_port(parsed->port(), allow_zero, text);
    else if (default_port)
        hp.port = *default_port;
    else
        throw std::invalid_argument("address '" + std::string(text) + "' has no port");
    return hp;
}

bool is_loopback_host(std::string_view host)
{
    if (host == "localhost" || host == "::1")
        return true;
    auto v4 = boost::urls::parse_ipv4_address(host);
    return v4 && (v4->to_uint() >> 24) == 127;
}

} // namespace mrb
