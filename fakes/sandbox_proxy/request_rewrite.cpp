#include "request_rewrite.hpp"

#include "host_pattern.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <set>

namespace fakes::sandbox_proxy {

namespace urls = boost::urls;
using boost::algorithm::iequals;

static rewrite_result
fail(unsigned status, std::string why)
{
    rewrite_result r;
    r.status = status;
    r.error = std::move(why);
    return r;
}

static std::vector<std::string>
comma_list(std::string_view value)
{
    std::vector<std::string> parts;
    boost::algorithm::split(parts, value, [](char c) { return c == ','; });
    for(auto& p : parts)
        boost::algorithm::trim(p);
    return parts;
}

static std::string
lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

header_list
end_to_end_fields(const header_list& in)
{
    std::set<std::string> drop{"connection", "keep-alive", "proxy-connection",
        "proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade",
        "content-length", "transfer-encoding"};
    for(auto const& [name, value] : in)
        if(iequals(name, "connection"))
            for(auto& token : comma_list(value))
                if(!token.empty())
                    drop.insert(lower(token));
    header_list out;
    for(auto const& h : in)
        if(!drop.count(lower(h.first)))
            out.push_back(h);
    return out;
}

// Checks the body framing the client declared; returns an error text or empty.
static std::string
check_framing(const client_request_head& in, bool& has_body)
{
    std::optional<std::string> length;
    std::vector<std::string> codings;
    for(auto const& [name, value] : in.headers)
    {
        if(iequals(name, "content-length"))
        {
            for(auto& v : comma_list(value))
            {
                if(v.empty() || !std::all_of(v.begin(), v.end(),
                       [](unsigned char c) { return std::isdigit(c); }))
                    return "invalid Content-Length";
                if(length && *length != v)
                    return "conflicting Content-Length values";
                length = v;
            }
        }
        else if(iequals(name, "transfer-encoding"))
        {
            for(auto& v : comma_list(value))
                codings.push_back(lower(v));
        }
    }
    if(!codings.empty())
    {
        if(in.version < 11)
            return "Transfer-Encoding in an HTTP/1.0 request";
        if(length)
            return "both Content-Length and Transfer-Encoding";
        if(codings.back() != "chunked" ||
           std::count(codings.begin(), codings.end(), "chunked") != 1)
            return "Transfer-Encoding must end in a single chunked";
        has_body = true;
    }
    else if(length)
    {
        has_body = std::any_of(length->begin(), length->end(), [](char c) { return c != '0'; });
    }
    return {};
}

// A port field: 1..65535 (Boost.URL's port_number() wraps larger values).
static std::optional<std::uint16_t>
port_value(std::string_view text)
{
    unsigned value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if(ec != std::errc{} || p != text.data() + text.size() || value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// The host and port of an authority-form string, or nothing.
struct authority_parts
{
    std::string host;
    std::optional<std::uint16_t> port;
    bool port_empty = false;
};

static std::optional<authority_parts>
parse_authority_strict(std::string_view text)
{
    auto rv = urls::parse_authority(text);
    if(!rv || rv->has_userinfo() || rv->host_type() == urls::host_type::ipvfuture)
        return std::nullopt;
    authority_parts a;
    a.host = lower_host(rv->host_address());
    if(a.host.empty())
        return std::nullopt;
    if(rv->has_port())
    {
        if(rv->port().empty())
            a.port_empty = true;
        else if(auto p = port_value(rv->port()))
            a.port = *p;
        else
            return std::nullopt;
    }
    return a;
}

rewrite_result
rewrite_request(const client_request_head& in)
{
    upstream_request_head out;
    out.method = in.method;

    // Host: at most one, and valid (RFC 9112 §3.2).
    std::optional<std::string> host_field;
    for(auto const& [name, value] : in.headers)
        if(iequals(name, "host"))
        {
            if(host_field)
                return fail(400, "more than one Host field");
            host_field = value;
        }
    if(!host_field && in.version >= 11)
        return fail(400, "HTTP/1.1 request without Host");
    std::optional<authority_parts> host_parts;
    if(host_field)
    {
        host_parts = parse_authority_strict(*host_field);
        if(!host_parts)
            return fail(400, "invalid Host field");
    }

    if(auto why = check_framing(in, out.has_body); !why.empty())
        return fail(400, why);

    if(iequals(in.method, "CONNECT"))
    {
        auto a = parse_authority_strict(in.target);
        if(!a || !a->port)
            return fail(400, "CONNECT needs authority-form host:port");
        out.is_connect = true;
        out.host = a->host;
        out.port = *a->port;
        out.authority = in.target;
        return {std::move(out), 0, {}};
    }

    auto rv = urls::parse_absolute_uri(in.target);
    if(!rv)
        return fail(400, "a forward proxy needs an absolute-form target");
    auto const& u = *rv;
    if(u.scheme_id() != urls::scheme::http)
        return fail(400, "only http:// targets are forwarded; use CONNECT for https");
    if(!u.has_authority() || u.has_userinfo() || u.has_fragment() ||
       u.host_type() == urls::host_type::ipvfuture)
        return fail(400, "invalid target authority");
    out.host = lower_host(u.host_address());
    if(out.host.empty())
        return fail(400, "empty host in target");
    out.port = 80;
    if(u.has_port() && !u.port().empty())
    {
        auto p = port_value(u.port());
        if(!p)
            return fail(400, "invalid port in target");
        out.port = *p;
    }
    out.authority = std::string(u.encoded_host_and_port());
    out.url = in.target;
    out.target = std::string(u.encoded_target());
    if(out.target.empty() || out.target.front() != '/')
        out.target.insert(0, "/");

    // RFC 9112 §3.2.2: with an absolute-form target the Host field is ignored and replaced.
    if(host_parts)
    {
        bool const same_host = host_parts->host == out.host;
        std::uint16_t const host_port = host_parts->port.value_or(80);
        out.host_replaced = !(same_host && host_port == out.port);
    }

    auto fields = end_to_end_fields(in.headers);
    std::erase_if(fields, [](auto const& h) { return iequals(h.first, "host"); });
    out.headers.reserve(fields.size() + 1);
    out.headers.emplace_back("Host", out.authority);
    for(auto& f : fields)
        out.headers.push_back(std::move(f));
    return {std::move(out), 0, {}};
}

} // namespace fakes::sandbox_proxy

namespace fakes::sandbox_proxy {

void
rewrite_destination(upstream_request_head& head, std::string_view new_host)
{
    if(head.host == new_host)
        return;
    auto const colon = head.authority.rfind(':');
    bool const has_port = colon != std::string::npos &&
        head.authority.find(']', colon) == std::string::npos &&
        (head.authority.front() == '[' || head.authority.find(':') == colon);
    bool const v6 = new_host.find(':') != std::string_view::npos;
    std::string authority = v6 ? "[" + std::string(new_host) + "]" : std::string(new_host);
    if(has_port)
        authority += head.authority.substr(colon);
    head.authority = authority;
    head.host = std::string(new_host);
    for(auto& [name, value] : head.headers)
        if(boost::algorithm::iequals(name, "host"))
            value = authority;
}

} // namespace fakes::sandbox_proxy
