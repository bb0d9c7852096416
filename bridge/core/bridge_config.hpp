#pragma once
// Everything the `serve` path (and the setup subcommands) need to know, resolved once at start-up
// from flags and environment. Plain data: no Boost, no sockets, cheap to include.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace mrb {

/// A forward proxy the bridge sends every request through (absolute-form).
struct proxy_endpoint
{
    std::string host;                 ///< as given (IPv6 without brackets)
    std::uint16_t port = 3128;
    std::string authorization;        ///< full `Proxy-Authorization` value ("Basic ..."), empty if none
    std::string display;              ///< URL with the password removed, safe to log and to show
};

enum class log_format { text, json };
enum class log_level { debug, info, warn, error };

/// How a failure the user must act on reaches a chat client (core/chat_error.hpp).
enum class error_delivery
{
    status, ///< always the HTTP error status with the JSON error body
    chat,   ///< permanent failures of chat completions as an assistant reply (default)
};

struct bridge_config
{
    // Where the bridge listens (loopback by default: anything else is an open relay to the host).
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 54321;

    // The Model Runner as the proxy must reach it (the proxy rewrites host.docker.internal to
    // localhost, and the sandbox policy is written for `localhost`).
    std::string target_host = "localhost";
    std::uint16_t target_port = 12434;

    /// The proxy to go through; empty when `direct` is set.
    std::optional<proxy_endpoint> proxy;
    /// Connect straight to the target (a Model Runner reachable without a proxy).
    bool direct = false;

    /// Worker threads: one event loop each. Default: one per CPU, at most 4. With one thread,
    /// events of concurrent streams wait for each other (~80 us per SSE event at 8 streams on
    /// 2 cores, docs/performance.md); a thread costs no measurable idle memory.
    unsigned threads = default_threads();

    static unsigned default_threads() noexcept
    {
        return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    }

    // Timeouts. response_header must outlast the Model Runner's model load (~300 s, no headers).
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds response_header_timeout{600'000};
    std::chrono::milliseconds body_idle_timeout{300'000};      ///< between body bytes, both ways
    std::chrono::milliseconds client_header_timeout{30'000};   ///< whole request header section
    std::chrono::milliseconds keep_alive_idle{60'000};         ///< idle client between requests
    std::chrono::milliseconds upstream_idle{15'000};           ///< pooled proxy connection max idle
    std::chrono::milliseconds drain_timeout{30'000};

    // Limits.
    std::size_t header_limit = 16 * 1024;                      ///< request header section bytes
    std::uint64_t request_body_limit = 64ull * 1024 * 1024;   ///< request body bytes
    std::size_t max_connections = 512;                         ///< concurrent client connections
    /// Request body bytes held until the first response byte, so that a request sent on a pooled
    /// connection the proxy had just closed can be resent whole on a fresh one (larger: 502).
    std::uint64_t replay_limit = 1024 * 1024;

    log_format log_format_value = log_format::text;
    log_level log_level_value = log_level::info;

    // The admin listener (GET /healthz, /readyz, /metrics, /status): its own loopback port, so no
    // Model Runner path is shadowed. `admin_port` 0 picks a free port (printed at start-up).
    bool admin_enabled = true;
    std::string admin_host = "127.0.0.1";
    std::uint16_t admin_port = 54322;
    /// How long /readyz and /status reuse one probe of the chain (so they can be polled).
    std::chrono::milliseconds readiness_cache{3'000};

    /// Policy denials and refused proxy logins of chat completions: a chat reply OpenClaw shows.
    error_delivery error_delivery_mode = error_delivery::chat;

    std::string capture_file;          ///< empty: no capture
    bool capture_bodies = false;

    // Fixed limits (not flags): named here so that the code, the docs and the tests agree.
    /// Upstream response head bytes (Model Runner heads are well under 1 KiB; Squid's ~2 KiB).
    static constexpr std::size_t response_head_limit = 64 * 1024;
    /// Idle proxy connections kept per worker thread.
    static constexpr std::size_t pool_size = 64;
    /// Lingering close: after the bridge's last byte, what the client still sends is read and
    /// dropped for at most this long (capped by client_header_timeout) and this many bytes, so
    /// that closing with unread bytes does not reset the reply away (RFC 9112 9.6).
    static constexpr std::chrono::milliseconds linger_time{1'000};
    static constexpr std::size_t linger_bytes = 256 * 1024;
    /// A wait on the next hop that lasts this long starts watching the client for a disconnect.
    static constexpr std::chrono::milliseconds client_watch_delay{10};
    /// A response head that takes this long is logged as a warning while it is awaited (a model
    /// loading, or a long prompt being read): the person sees why nothing happens.
    static constexpr std::chrono::milliseconds slow_head_notice{5'000};

    /// The lingering close's deadline for this configuration.
    std::chrono::milliseconds linger_timeout() const { return std::min(linger_time, client_header_timeout); }

    /// Whom the bridge connects to: the proxy, or the target itself (--direct, or no proxy).
    struct hop
    {
        bool via_proxy;
        const std::string& host;
        std::uint16_t port;
    };
    bool via_proxy() const noexcept { return proxy.has_value() && !direct; }
    hop next_hop() const noexcept
    {
        return via_proxy() ? hop{true, proxy->host, proxy->port} : hop{false, target_host, target_port};
    }

    /// `host:port` of the target as it appears in the absolute-form URL and in Host.
    std::string target_authority() const
    {
        return bracket(target_host) + ":" + std::to_string(target_port);
    }
    /// `host:port` of the next hop (proxy, or target when direct).
    std::string next_hop_authority() const
    {
        const hop h = next_hop();
        return bracket(h.host) + ":" + std::to_string(h.port);
    }
    static std::string bracket(const std::string& host)
    {
        return host.find(':') != std::string::npos ? "[" + host + "]" : host;
    }
};

} // namespace mrb
