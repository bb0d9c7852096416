#pragma once
// The listening side: binds, accepts (spreading connections over the worker threads), enforces
// --max-connections, and stops gracefully: first signal stops accepting and lets in-flight
// exchanges finish up to the drain timeout; a second signal stops at once.

#include "access_log.hpp"
#include "core/bridge_config.hpp"
#include "core/metrics.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace mrb {

class capture;

/// Thrown by server::listen() when the address cannot be bound (exit code 3).
class listen_error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

class server
{
public:
    server(const bridge_config& config, access_log& log, capture* capture_sink = nullptr);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and listens; with handle_signals, SIGINT/SIGTERM start a graceful stop (a second one
    /// stops at once). Throws listen_error.
    void listen(bool handle_signals = true);
    /// The bound port (after listen()).
    std::uint16_t port() const noexcept;
    /// Serves until stopped. Blocks.
    void run();
    /// Starts a graceful stop (thread-safe); a second call stops at once.
    void stop();
    /// The workers' counters folded, with the live gauges (thread-safe; for GET /metrics).
    metrics_snapshot metrics() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace mrb
