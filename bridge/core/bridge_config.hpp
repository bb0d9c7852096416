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

    std::string capture_file;          ///< empty: no capture
    bool capture_bodies = false;

    /// `host:port` of the target as it appears in the absolute-form URL and in Host.
    std::string target_authority() const
    {
        return bracket(target_host) + ":" + std::to_string(target_port);
    }
    /// `host:port` of the next hop (proxy, or target when direct).
    std::string next_hop_authority() const
    {
        if (proxy && !direct)
            return bracket(proxy->host) + ":" + std::to_string(proxy->port);
        return target_authority();
    }
    static std::string bracket(const std::string& host)
    {
        return host.find(':') != std::string::npos ? "[" + host + "]" : host;
    }
};

} // namespace mrb
