#include "deny_reply.hpp"

#include <stdexcept>

namespace fakes::sandbox_proxy {

deny_style
parse_deny_style(std::string_view text)
{
    if(text == "403" || text == "sbx" || text == "sbx_403")
        return deny_style::sbx_403;
    if(text == "500" || text == "go" || text == "go_500")
        return deny_style::go_500;
    if(text == "500_other" || text == "other_500")
        return deny_style::other_500;
    if(text == "close")
        return deny_style::close;
    throw std::invalid_argument("deny style must be 403, 500, 500_other or close, got '" + std::string(text) + "'");
}

std::string_view
to_string(deny_style style)
{
    switch(style)
    {
    case deny_style::sbx_403: return "sbx_403";
    case deny_style::go_500: return "go_500";
    case deny_style::other_500: return "other_500";
    case deny_style::close: return "close";
    }
    return "?";
}

int
deny_status(deny_style style)
{
    switch(style)
    {
    case deny_style::sbx_403: return 403;
    case deny_style::go_500:
    case deny_style::other_500: return 500;
    case deny_style::close: return 0;
    }
    return 0;
}

static std::string
host_port(const verdict& v)
{
    bool const v6 = v.host.find(':') != std::string::npos;
    return (v6 ? "[" + v.host + "]" : v.host) + ":" + std::to_string(v.port);
}

std::string
deny_body(deny_style style, const verdict& v, std::string_view address)
{
    if(style == deny_style::close)
        return {};
    if(style == deny_style::other_500)
        return "Internal Server Error\n"; // http.Error(w, http.StatusText(500), 500)
    if(style == deny_style::go_500)
    {
        // Go http.Error appends a newline to the message.
        auto const where = address.empty() ? host_port(v) : std::string(address);
        return "connection to " + where + " blocked by network policy\n";
    }
    std::string body = "Blocked by network policy: domain " + host_port(v) + "\n";
    switch(v.reason)
    {
    case verdict_reason::default_deny:
        // Verbatim from sbx-releases #611.
        body += "  detail: no matching allow rule - blocked by default deny policy\n";
        break;
    case verdict_reason::block_rule:
        // Shape of the multi-line form quoted in sbx-releases #567; the wording is ours.
        body += "  rule: \"" + v.rule + "\" (domain, deny)\n";
        body += "  detail: matched block rule " + v.rule + "\n";
        break;
    case verdict_reason::blocked_cidr:
        body += "  detail: resolved address " + std::string(address) +
            " is in blocked range " + v.rule + "\n";
        break;
    default:
        body += "  detail: blocked\n";
        break;
    }
    return body;
}

std::string
deny_reply(deny_style style, const verdict& v, std::string_view address, std::string_view date)
{
    if(style == deny_style::close)
        return {};
    auto const body = deny_body(style, v, address);
    std::string out = deny_status(style) == 500
        ? "HTTP/1.1 500 Internal Server Error\r\n"
        : "HTTP/1.1 403 Forbidden\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "X-Content-Type-Options: nosniff\r\n";
    if(!date.empty())
        out += "Date: " + std::string(date) + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    out += body;
    return out;
}

} // namespace fakes::sandbox_proxy
