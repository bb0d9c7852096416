#pragma once
// Idle keep-alive connections to the next hop (the proxy), one pool per worker thread (no locks:
// a pool and its sockets live on one io_context). A connection is handed out only if it is still
// open and silent: one the proxy has closed (EOF pending) or that sent unsolicited bytes is
// discarded, never reused.

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>

namespace mrb {

class upstream_pool
{
public:
    using socket = boost::asio::ip::tcp::socket;
    using clock = std::chrono::steady_clock;

    upstream_pool(std::chrono::milliseconds max_idle, std::size_t max_size);

    /// A live idle connection (most recently used first), or nullopt.
    std::optional<socket> take();
    /// Returns a connection after a complete exchange.
    void put(socket s);
    /// Closes everything (shutdown).
    void clear();
    std::size_t size() const noexcept { return idle_.size(); }

    /// True when the peer has not closed the socket and has not sent anything (non-blocking peek).
    static bool is_alive(socket& s) noexcept;

private:
    struct entry
    {
        socket s;
        clock::time_point since;
    };
    void evict_expired(clock::time_point now);

    std::chrono::milliseconds max_idle_;
    std::size_t max_size_;
    std::deque<entry> idle_;
};

} // namespace mrb
