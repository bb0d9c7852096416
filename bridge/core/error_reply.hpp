#pragma once
// The bridge's own answers: an OpenAI-shaped JSON error ({"error":{"message","type","code"}}),
// because that is what OpenClaw and the OpenAI SDKs parse. Each message names the hop that
// failed and the fix.

#include <string>
#include <string_view>

namespace mrb {

struct bridge_config;

enum class failure
{
    proxy_refused,          ///< 502: connection refused by the next hop
    proxy_unreachable,      ///< 502: name does not resolve / network unreachable
    proxy_connect_timeout,  ///< 504: no TCP connection within --connect-timeout
    proxy_reset,            ///< 502: closed or reset before any response byte
    proxy_bad_response,     ///< 502: unparsable or invalid response framing
    proxy_timeout,          ///< 504: no response headers within --response-header-timeout
    proxy_denied,           ///< 451: the proxy's own policy denial (docs/bridge.md, "Statuses")
    proxy_auth_refused,     ///< 451: the proxy refused the bridge's login (407)
    bad_request,            ///< 400: framing the bridge refuses to forward
    header_too_large,       ///< 431
    body_too_large,         ///< 413
    connect_method,         ///< 405: CONNECT (the bridge is not a tunnel)
    foreign_target,         ///< 421: absolute-form target naming another authority
    overloaded,             ///< 503: --max-connections reached
};

/// Status chosen for a proxy policy denial and a refused proxy login: permanent until the user
/// acts. Measured with OpenClaw 2026.9.6: 451 is resubmitted 3 times at once (4 requests in under
/// a second), shown at once as "request failed (HTTP 451)", and locks no key. 403 would read as
/// "authentication failed" and lock the key for 30 s; 421 costs 8 requests (undici resends it);
/// 5xx costs ~90 s of retries with our text hidden. The table is in docs/bridge.md.
inline constexpr unsigned denial_status = 451;

struct error_reply
{
    unsigned status = 502;
    std::string type;    ///< OpenAI error type
    std::string code;    ///< stable machine-readable code
    std::string message; ///< names the hop and the fix
    std::string fix;     ///< the fix alone (also inside message); empty when there is none

    /// `{"error":{"message":...,"type":...,"code":...}}` (no trailing newline)
    std::string body() const;
};

/// Builds the reply for a failure; `detail` is the low-level cause (error text, proxy's reason).
error_reply make_error_reply(failure what, const bridge_config& config, std::string_view detail = {});

/// The failure's stable name ("proxy_denied"), as the failure journal writes it.
std::string_view to_string(failure what) noexcept;

/// The hop a failure belongs to: "proxy", "model_runner" or "client" (the failure journal's keys).
/// Without a proxy, the next-hop failures belong to the Model Runner.
std::string_view failure_hop(failure what, bool direct) noexcept;

/// Reason phrase for the statuses the bridge itself sends.
std::string_view reason_phrase(unsigned status) noexcept;

} // namespace mrb
