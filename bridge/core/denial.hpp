#pragma once
// Recognises a forward proxy's own policy denial (as opposed to an answer of the Model Runner,
// which is always relayed unchanged). Sans-I/O: fed the parsed status line, headers and the first
// bytes of the body.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrb {

struct denial_info
{
    /// Which proxy shape matched: "docker" (403 `Blocked by ...`), "docker-legacy" (500
    /// `... blocked by network policy`), "squid" (403 + X-Squid-Error ERR_ACCESS_DENIED),
    /// "tinyproxy" (403 Filtered).
    std::string kind;
    /// The proxy's own one-line reason, sanitised (printable ASCII, at most 200 chars); may be empty.
    /// For an uncertain match it says so ("not recognised for certain: ...").
    std::string detail;
    /// False for kind "unrecognised-500": a proxied 500 whose body is neither a known denial nor
    /// a known Model Runner answer. The older proxy's denial body is not on record, so this is
    /// the likely cause, not a certain one (docs/reference/proxy-denials.md).
    bool certain = true;
    /// A 407 from the proxy: it refused the bridge's login (failure::proxy_auth_refused). The
    /// Model Runner never asks for proxy credentials, so behind a proxy a 407 is always the proxy's.
    bool login_refused = false;
};

/// How many body bytes the caller should buffer before calling recognise_denial() for a
/// response whose status might be a denial (see may_be_denial()).
inline constexpr std::size_t denial_body_prefix_bytes = 512;

/// True when the status alone could be a proxy denial (403, 500) or a refused login (407), so the
/// caller should look at the body.
bool may_be_denial(unsigned status) noexcept;

std::optional<denial_info> recognise_denial(
    unsigned status,
    std::string_view reason,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view body_prefix);

} // namespace mrb
