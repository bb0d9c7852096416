#include "denial.hpp"

#include "text.hpp"

#include <algorithm>
#include <cctype>

namespace mrb {
namespace {

using text::iequals;
using text::istarts_with;

bool icontains(std::string_view s, std::string_view needle)
{
    if (needle.size() > s.size())
        return false;
    for (std::size_t i = 0; i + needle.size() <= s.size(); ++i)
        if (iequals(s.substr(i, needle.size()), needle))
            return true;
    return false;
}

std::string_view trim_leading_space(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    return s;
}

// The proxy's reason goes into our JSON body and log: keep it one printable line.
std::string sanitise_line(std::string_view s)
{
    s = trim_leading_space(s);
    s = s.substr(0, s.find_first_of("\r\n"));
    std::string out;
    for (char c : s.substr(0, 200))
        out.push_back(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f ? c : '?');
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

const std::string* find_header(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view name)
{
    for (const auto& [n, v] : headers)
        if (iequals(n, name))
            return &v;
    return nullptr;
}

// The Model Runner's own 500s (external-systems.md 2.5), relayed unchanged: llama.cpp's JSON
// errors and DMR's runner-crash JSON (sent as text/plain when the status went out first), DMR's
// `http.Error` texts, and an empty body (a runner that died without a message).
bool is_model_runner_500(std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers)
{
    if (body.empty() || body.front() == '{')
        return true;
    if (const auto* type = find_header(headers, "Content-Type"); type && istarts_with(*type, "application/json"))
        return true;
    for (std::string_view known : {"unable to load runner", "model unavailable", "Connection error", "error while",
                                   "failed to", "unable to"})
        if (istarts_with(body, known))
            return true;
    return false;
}

std::string reason_text(std::string_view reason)
{
    return reason.empty() ? std::string("(no body)") : sanitise_line(reason);
}

} // namespace

bool may_be_denial(unsigned status) noexcept
{
    return status == 403 || status == 407 || status == 500;
}

std::optional<denial_info> recognise_denial(
    unsigned status,
    std::string_view reason,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view body_prefix)
{
    if (!may_be_denial(status))
        return std::nullopt;
    const std::string_view body = trim_leading_space(body_prefix);

    if (status == 407)
    {
        // Squid names the reason in X-Squid-Error (ERR_CACHE_ACCESS_DENIED); others in the phrase.
        const auto* squid = find_header(headers, "X-Squid-Error");
        denial_info d{"proxy-auth", sanitise_line("407 " + (squid != nullptr ? *squid : reason_text(reason)))};
        d.login_refused = true;
        return d;
    }

    if (status == 403)
    {
        // Squid: the error page is marked by X-Squid-Error; only ACCESS_DENIED is a policy denial
        // (ERR_CONNECT_FAIL and friends are not about policy).
        if (const auto* squid = find_header(headers, "X-Squid-Error"))
        {
            if (istarts_with(*squid, "ERR_ACCESS_DENIED"))
                return denial_info{"squid", sanitise_line(*squid)};
            return std::nullopt;
        }
        // tinyproxy: the reason phrase itself says it.
        if (iequals(reason, "Filtered"))
            return denial_info{"tinyproxy", "403 Filtered"};
        // Docker sandbox proxy (sbx): `Blocked by network policy: domain ...`,
        // `Blocked by local rule for <host>`, `Blocked by org policy`.
        if (istarts_with(body, "Blocked by network policy") || istarts_with(body, "Blocked by local rule") ||
            istarts_with(body, "Blocked by org policy"))
            return denial_info{"docker", sanitise_line(body)};
    }
    // Older Docker proxy: a Go http.Error 500 `connection to IP:PORT blocked by network policy`.
    // The Model Runner's own 500s never say this, so the text is the discriminator.
    const std::string first_line = sanitise_line(body);
    if (icontains(first_line, "blocked by network policy"))
        return denial_info{status == 500 ? "docker-legacy" : "docker", first_line};
    if (status == 500 && !is_model_runner_500(body, headers))
        return denial_info{"unrecognised-500",
                           "not recognised for certain: 500 \"" + (first_line.empty() ? reason_text(reason) : first_line) + "\"",
                           false};
    return std::nullopt;
}

} // namespace mrb
