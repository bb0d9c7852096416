#include "tcp_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <fcntl.h>

#include <memory>

namespace fakes::http_kit {

tcp_listener::tcp_listener(net::io_context& ioc, callback on_accept)
    : ioc_(ioc)
    , acceptor_(net::make_strand(ioc))
    , retry_timer_(acceptor_.get_executor())
    , on_accept_(std::move(on_accept))
{
}

tcp_listener::tcp_listener(net::io_context& ioc, coroutine on_accept)
    : tcp_listener(ioc, callback{[co = std::move(on_accept)](tcp::socket s) {
        auto ex = s.get_executor();
        net::co_spawn(ex, co(std::move(s)), net::detached);
    }})
{
}

void
tcp_listener::listen(const std::string& host, std::uint16_t port, int backlog)
{
    tcp::endpoint ep{net::ip::make_address(host), port};
    acceptor_.open(ep.protocol());
    // Asio opens sockets without FD_CLOEXEC: a process spawned meanwhile (the bridge under test)
    // would keep this listener alive after close(), and connects would still succeed.
    ::fcntl(acceptor_.native_handle(), F_SETFD, FD_CLOEXEC);
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(backlog);
    port_ = acceptor_.local_endpoint().port();
    net::post(acceptor_.get_executor(), [this] { do_accept(); });
}

std::future<void>
tcp_listener::close()
{
    auto done = std::make_shared<std::promise<void>>();
    auto ready = done->get_future();
    net::post(acceptor_.get_executor(), [this, done] {
        boost::system::error_code ec;
        acceptor_.close(ec);
        retry_timer_.cancel();
        done->set_value();
    });
    return ready;
}

void
tcp_listener::do_accept()
{
    // Each connection on its own strand: handlers of one connection never run concurrently.
    acceptor_.async_accept(net::make_strand(ioc_), [this](boost::system::error_code ec, tcp::socket s) {
        if(ec == net::error::operation_aborted || !acceptor_.is_open())
            return;
        if(ec)
        {
            // EMFILE and friends: back off briefly instead of spinning.
            retry_timer_.expires_after(std::chrono::milliseconds(10));
            retry_timer_.async_wait([this](boost::system::error_code wec) {
                if(!wec)
                    do_accept();
            });
            return;
        }
        boost::system::error_code ignored;
        s.set_option(tcp::no_delay(true), ignored);
        ++accepted_;
        auto ex = s.get_executor();
        net::dispatch(ex, [this, s = std::move(s)]() mutable { on_accept_(std::move(s)); });
        do_accept();
    });
}

} // namespace fakes::http_kit
