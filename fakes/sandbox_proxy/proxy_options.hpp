#pragma once

#include "deny_reply.hpp"
#include "policy.hpp"
#include "resolver.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fakes::sandbox_proxy {

/// How the proxy refuses clients when the `refuse` fault is on.
enum class refuse_mode
{
    none,
    close_on_accept,  // accept, then close at once (the client sees EOF/reset)
    stop_listening,   // close the listening socket (the client sees ECONNREFUSED)
};

/// Faults, in Toxiproxy's vocabulary where it fits. All off by default.
struct proxy_faults
{
    refuse_mode refuse = refuse_mode::none;
    /// Close a client connection after it was served N responses (0 = never), silently
    /// unless `announce_close`: the stale keep-alive race a client must survive.
    unsigned close_after_requests = 0;
    /// Close a client connection idle for this long between requests (0 = never).
    std::chrono::milliseconds idle_close{0};
    /// Send `Connection: close` on the response after which the proxy closes.
    bool announce_close = false;
    /// `latency`: delay before each request is forwarded upstream.
    std::chrono::milliseconds latency{0};
    /// A badly behaved proxy: read the whole upstream response, then send it with
    /// Content-Length (SSE arrives all at once at the end).
    bool buffer_responses = false;
    /// `reset_peer` mid-response: reset the client connection after N response body bytes.
    std::optional<std::uint64_t> reset_after_bytes;
};

/// What the client gets when the allowed upstream cannot be reached or resets before the
/// response head. UNCONFIRMED for the real proxy; default a Go-style 502 text.
struct upstream_error_reply
{
    unsigned status = 502;
    std::string content_type = "text/plain; charset=utf-8";
    /// `{error}` is replaced by the Go-style dial error, e.g.
    /// `dial tcp 127.0.0.1:12434: connect: connection refused`.
    std::string body = "{error}\n";
};

/// What an allowed CONNECT becomes.
enum class connect_mode
{
    /// Terminate TLS with the proxy's own CA (mitm_ca), apply credential injection to each
    /// HTTPS request, log it as `METHOD https://host/path`, and re-encrypt upstream. The real
    /// proxy's behaviour; bypassed hosts are still tunnelled.
    intercept,
    /// Raw byte tunnel (the behaviour of a plain forward proxy).
    tunnel,
};

struct proxy_options
{
    std::uint16_t port = 3128;
    policy_rules policy;
    deny_style deny = deny_style::sbx_403;
    std::vector<std::string> resolve;  // host=addr[:port]
    localhost_order localhost = localhost_order::ipv4_first;
    /// --resolve overrides stand for public addresses: they skip the CIDR check unless this is
    /// set. `localhost` is always checked.
    bool cidr_check_overrides = false;
    /// env var -> key, used instead of the process environment for those variables.
    std::map<std::string, std::string> credentials;
    bool use_environment = true;
    upstream_error_reply upstream_error;
    proxy_faults faults;
    std::string sandbox_name = "sandbox";
    std::string network_log_file;
    bool network_log_json = false;
    std::chrono::milliseconds connect_timeout{5000};
    /// Request bodies over this many bytes get 413 and a close (0 = no limit, the default:
    /// bodies stream through, as the real proxy does, and DMR answers oversized ones itself).
    /// A Content-Length over it is refused before anything is forwarded; a chunked body when
    /// it gets there (the upstream connection is then dropped).
    std::uint64_t max_request_body = 0;
    /// In-memory recorders keep at most this many requests and log entries (the oldest are
    /// dropped), so long benches through the fake stay bounded.
    std::size_t record_limit = 100000;
    connect_mode connect = connect_mode::intercept;
    /// Where to write the generated CA certificate (PEM) at start, so a client can trust it.
    std::string ca_cert_file;
    /// `user:password`: every request must carry `Proxy-Authorization: Basic <base64 of it>`,
    /// else the proxy answers 407 with `Proxy-Authenticate: Basic realm="sandbox proxy"` (what
    /// Squid with basic auth does). Empty: no login asked (the sandbox proxy's own behaviour).
    std::string login;
};

/// The JSON schema of `--config FILE` and of a scenario's topology entry
/// (docs/fake-sandbox-proxy.md). Unknown keys are an error. Throws std::invalid_argument.
proxy_options
options_from_json(const nlohmann::json& j);

proxy_faults
faults_from_json(const nlohmann::json& j);

policy_rules
policy_from_json(const nlohmann::json& j, policy_rules base = {});

} // namespace fakes::sandbox_proxy
