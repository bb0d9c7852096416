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
};

/// Parses `403` / `sbx` / `sbx_403` and `500` / `go` / `go_500`; throws on anything else.
deny_style
parse_deny_style(std::string_view text);

/// Builds the complete HTTP/1.1 response (status line, headers, body) for a denial, the same
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
