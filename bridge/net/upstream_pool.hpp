#pragma once
// Idle keep-alive connections to the next hop (the proxy), one pool per worker thread (no locks:
// a pool and its sockets live on one io_context). A connection is handed out only if it is still
// open and silent: one the proxy has closed (EOF pending) or that sent unsolicited bytes is
// discarded, never reused. Idle connections are also watched: one that turns readable (the proxy
// closed it, or sent junk) is closed at once, and one idle past max_idle is closed by a timer, so
// none lingers in CLOSE-WAIT or past --upstream-idle-timeout waiting for the pool's next use.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace mrb {

class upstream_pool
{
public:
    using socket = boost::asio::ip::tcp::socket;
    using clock = std::chrono::steady_clock;

    upstream_pool(std::chrono::milliseconds max_idle, std::size_t max_size);
    ~upstream_pool();
    upstream_pool(const upstream_pool&) = delete;
    upstream_pool& operator=(const upstream_pool&) = delete;

    /// A live idle connection (most recently used first), or nullopt.
    std::optional<socket> take();
    /// Returns a connection after a complete exchange. Call on the socket's io_context thread.
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
        std::uint64_t id; ///< lets a late completion find its own entry, or nothing
    };
    void evict_expired(clock::time_point now);
    void watch(entry& e);
    void on_readable(std::uint64_t id, const boost::system::error_code& ec);
    void arm_timer();

    std::chrono::milliseconds max_idle_;
    std::size_t max_size_;
    std::deque<entry> idle_;
    std::uint64_t next_id_ = 0;
    // Made with the first pooled socket's executor: the worker's io_context.
    std::optional<boost::asio::steady_timer> timer_;
    bool timer_armed_ = false;
};

} // namespace mrb
