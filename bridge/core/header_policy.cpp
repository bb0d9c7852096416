#include "header_policy.hpp"

#include "text.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

namespace mrb {
namespace http = boost::beast::http;
namespace {

using text::as_range;
using text::iequals;
using text::trim;

bool is_hop_by_hop(http::field f) noexcept
{
    switch (f)
    {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::te:
    case http::field::trailer:
    case http::field::upgrade:
    case http::field::proxy_authorization:
    case http::field::proxy_authenticate:
    case http::field::http2_settings:
        return true;
    default:
        return false;
    }
}

// Removes every field the Connection header(s) name, then the fixed hop-by-hop set. Framing and
// Host can never be removed this way (`Connection: content-length` would desync the next hop).
// Linear passes over the fields: a lookup per name (Beast's case-insensitive tree) for each of
// the nine fixed names was the costliest part of a request's header handling.
void strip_hop_by_hop(http::fields& fields)
{
    std::vector<std::string_view> named; // views into Connection values, alive until those go
    bool any = false;
    for (const auto& f : fields)
    {
        if (!is_hop_by_hop(f.name()))
            continue;
        any = true;
        if (f.name() != http::field::connection)
            continue;
        std::string_view list = f.value();
        for (;;)
        {
            const auto comma = list.find(',');
            const auto token = trim(list.substr(0, comma));
            if (!token.empty() && !iequals(token, "content-length") && !iequals(token, "transfer-encoding") &&
                !iequals(token, "host"))
                named.push_back(token);
            if (comma == std::string_view::npos)
                break;
            list.remove_prefix(comma + 1);
        }
    }
    if (!any)
        return;
    auto listed = [&](std::string_view name) {
        return std::any_of(named.begin(), named.end(), [&](std::string_view n) { return iequals(n, name); });
    };
    // Named fields first: their names point into the Connection values erased after them.
    if (!named.empty())
        for (auto it = fields.begin(); it != fields.end();)
            it = !is_hop_by_hop(it->name()) && listed(it->name_string()) ? fields.erase(it) : std::next(it);
    for (auto it = fields.begin(); it != fields.end();)
        it = is_hop_by_hop(it->name()) ? fields.erase(it) : std::next(it);
}

// Appends our Via, folding any existing Via fields into one.
void append_via(http::fields& fields)
{
    std::string via;
    for (const auto& f : as_range(fields.equal_range(http::field::via)))
    {
        via.append(f.value());
        via.append(", ");
    }
    via.append(header_policy::via_value);
    fields.set(http::field::via, via);
}

} // namespace

header_policy::header_policy(const bridge_config& config)
    : target_authority_(config.target_authority())
    , absolute_prefix_("http://" + config.target_authority())
    , direct_(!config.via_proxy())
{
    if (!direct_ && config.proxy)
        proxy_authorization_ = config.proxy->authorization;
}

header_policy::target_verdict header_policy::check_target(http::verb method, std::string_view target,
                                                          std::string& origin_form) const
{
    if (method == http::verb::connect)
        return target_verdict::connect_method;
    // A request-target is ASCII (RFC 9112 3.2, RFC 3986): Beast lets bytes >= 0x80 through, and a
    // stricter next hop would read such a request differently or not at all.
    if (std::any_of(target.begin(), target.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; }))
        return target_verdict::bad_target;
    if (!target.empty() && target.front() == '/')
    {
        origin_form.assign(target);
        return target_verdict::ok;
    }
    if (target == "*")
        return target_verdict::bad_target;
    auto parsed = boost::urls::parse_absolute_uri(target);
    if (!parsed)
        return target_verdict::bad_target;
    const auto& u = *parsed;
    // An authority is followed by an empty path or one starting with '/' (RFC 3986 path-abempty).
    // Boost.URL 1.81 accepts `http://host:80abc` with the path `abc`: forwarded as the target,
    // the proxy would read another host or path than the one checked here.
    const auto path = u.encoded_path();
    if (!u.has_authority() || (!path.empty() && path.front() != '/'))
        return target_verdict::bad_target;
    // Same authority as the target (host case-insensitive, default port 80), plain http only.
    const std::string port = u.has_port() ? std::string(u.port()) : "80";
    const std::string host = std::string(u.encoded_host());
    if (!iequals(u.scheme(), "http") || u.has_userinfo() || !iequals(host + ":" + port, target_authority_))
        return target_verdict::foreign_target;
    origin_form.assign(u.encoded_path().empty() ? "/" : std::string_view(u.encoded_path()));
    if (u.has_query())
        origin_form.append("?").append(u.encoded_query());
    return target_verdict::ok;
}

void header_policy::rewrite_request(http::request_header<>& header, std::string_view origin_form) const
{
    strip_hop_by_hop(header);
    // The bridge answers `Expect: 100-continue` itself (no deadlock waiting for the proxy's 100).
    header.erase(http::field::expect);
    address_request(header, origin_form);
    append_via(header);
    header.version(11); // keep-alive to the next hop is the HTTP/1.1 default
}

void header_policy::address_request(http::request_header<>& header, std::string_view origin_form) const
{
    if (direct_)
        header.target(origin_form);
    else
        header.target(absolute_prefix_ + std::string(origin_form));
    header.set(http::field::host, target_authority_);
    if (!proxy_authorization_.empty())
        header.set(http::field::proxy_authorization, proxy_authorization_);
}

void header_policy::rewrite_response(http::response_header<>& header) const
{
    strip_hop_by_hop(header);
    append_via(header);
}

} // namespace mrb
