#pragma once

#include "policy.hpp"

#include <string>

namespace fakes::sandbox_proxy {

/// The observed shapes of a policy denial (external-systems.md §1.4).
enum class deny_style
{
    /// sbx v0.42+: `403 Forbidden`, `Blocked by network policy: domain <host:port>` and a
    /// `  detail: ...` line (sbx-releases #611). The default.
    sbx_403,
    /// sbx ~Apr 2026, Go `http.Error`: `500`, text/plain, nosniff,
    /// `connection to <ip:port> blocked by network policy` (sbx-releases #59).
    go_500,
    /// A 500 whose body says nothing about policy (Go `http.Error` with the status text,
    /// `Internal Server Error`): the older `docker sandbox` proxy's body is not on record
    /// (external-systems.md §1.4), so a client must cope with a denial it cannot recognise.
    other_500,
    /// No answer at all: the connection is closed once the request is read.
    close,
};

/// Every shape, in a stable order (scenario matrices run each).
inline constexpr deny_style all_deny_styles[] = {deny_style::sbx_403, deny_style::go_500,
                                                 deny_style::other_500, deny_style::close};

/// Parses `403` / `sbx` / `sbx_403`, `500` / `go` / `go_500`, `500_other` / `other_500` and
/// `close`; throws std::invalid_argument on anything else.
deny_style
parse_deny_style(std::string_view text);

/// The canonical name (`sbx_403`, `go_500`, `other_500`, `close`).
std::string_view to_string(deny_style style);

/// The status a client sees: 403, 500, 500, or 0 for a closed connection.
int deny_status(deny_style style);

/// Builds the complete HTTP/1.1 response (empty for deny_style::close: status line, headers, body) for a denial, the same
/// for plain-HTTP requests and for CONNECT. `address` is the resolved `ip:port` when the
/// denial came from a CIDR check; empty otherwise. `date` is an IMF-fixdate for the Date
/// header, omitted when empty (tests compare bytes without it).
std::string
deny_reply(deny_style style, const verdict& v, std::string_view address,
    std::string_view date = {});

/// The body alone (what a client prints).
std::string
deny_body(deny_style style, const verdict& v, std::string_view address);

} // namespace fakes::sandbox_proxy
