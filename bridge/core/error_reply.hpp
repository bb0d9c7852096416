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
    proxy_denied,           ///< 421: the proxy's own policy denial (see docs/bridge.md for why 421)
    bad_request,            ///< 400: framing the bridge refuses to forward
    header_too_large,       ///< 431
    body_too_large,         ///< 413
    connect_method,         ///< 405: CONNECT (the bridge is not a tunnel)
    foreign_target,         ///< 403: absolute-form target naming another authority
    overloaded,             ///< 503: --max-connections reached
};

/// Status chosen for a proxy policy denial: not 403 (OpenClaw reads it as "authentication
/// failed" and locks the key) and not 5xx (clients retry for ~90 s). 421 Misdirected Request:
/// "this server cannot produce a response for this target" -- which is exactly the situation.
inline constexpr unsigned denial_status = 421;

struct error_reply
{
    unsigned status = 502;
    std::string type;    ///< OpenAI error type
    std::string code;    ///< stable machine-readable code
    std::string message; ///< names the hop and the fix

    /// `{"error":{"message":...,"type":...,"code":...}}` (no trailing newline)
    std::string body() const;
};

/// Builds the reply for a failure; `detail` is the low-level cause (error text, proxy's reason).
error_reply make_error_reply(failure what, const bridge_config& config, std::string_view detail = {});

/// Reason phrase for the statuses the bridge itself sends.
std::string_view reason_phrase(unsigned status) noexcept;

} // namespace mrb
