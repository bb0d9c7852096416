#pragma once
// tcp_listener: accepts on host:port and hands every socket to a handler. Each accepted socket
// gets its own strand as executor, so a per-connection coroutine needs no further locking.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <string>

namespace fakes::http_kit {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class tcp_listener
{
public:
    /// Called on the socket's strand; take ownership of the socket.
    using callback = std::function<void(tcp::socket)>;
    /// Spawned with co_spawn on the socket's strand; exceptions are swallowed.
    using coroutine = std::function<net::awaitable<void>(tcp::socket)>;

    tcp_listener(net::io_context& ioc, callback on_accept);
    tcp_listener(net::io_context& ioc, coroutine on_accept);

    /// Binds and starts accepting. Throws boost::system::system_error (start-up only).
    /// `port` 0 picks an ephemeral port; read it back with port().
    void listen(const std::string& host, std::uint16_t port, int backlog = 4096);

    std::uint16_t port() const { return port_; }

    /// Stops accepting (posted to the acceptor's strand; safe from any thread). The future is
    /// ready once the listening socket is closed (connects are refused from then on); wait on
    /// it only while the io_context runs, and never from the acceptor's strand.
    std::future<void> close();

    /// Number of sockets accepted so far.
    std::uint64_t accepted() const { return accepted_.load(); }

private:
    void do_accept();

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    net::steady_timer retry_timer_;
    callback on_accept_;
    std::uint16_t port_ = 0;
    std::atomic<std::uint64_t> accepted_{0};
};

} // namespace fakes::http_kit
