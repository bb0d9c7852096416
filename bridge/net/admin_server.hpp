#pragma once
// The admin listener: a small HTTP/1.1 server on its own thread and event loop, so that a
// scrape or a readiness probe never waits behind relayed traffic and never slows it. One
// request per connection (answered with Connection: close); routes in core/admin_routes.hpp.

#include "core/admin_routes.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mrb {

class admin_server
{
public:
    /// Called on the admin thread for each routed request (never for not_found/405).
    using handler = std::function<admin_reply(admin_endpoint)>;

    admin_server(std::string host, std::uint16_t port, handler h);
    ~admin_server();
    admin_server(const admin_server&) = delete;
    admin_server& operator=(const admin_server&) = delete;

    /// Binds and listens (throws listen_error, like server::listen()).
    void listen();
    std::uint16_t port() const noexcept;
    /// Calls `tick` on the admin thread every `interval` once started (e.g. to keep history).
    void every(std::chrono::milliseconds interval, std::function<void()> tick);
    /// Serves on a thread of its own until stop() or destruction.
    void start();
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace mrb
