#include "admin_server.hpp"

#include "server.hpp" // listen_error

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <optional>
#include <thread>

namespace mrb {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto nothrow = net::as_tuple(net::use_awaitable);
/// A scraper that does not finish its request in this long is dropped.
constexpr std::chrono::seconds request_deadline{10};
} // namespace

struct admin_server::impl
{
    std::string host;
    std::uint16_t wanted_port;
    handler handle;
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::thread thread;
    std::chrono::milliseconds tick_interval{0};
    std::function<void()> tick;

    net::awaitable<void> tick_loop()
    {
        net::steady_timer timer(ioc);
        for(;;)
        {
            tick();
            timer.expires_after(tick_interval);
            auto [ec] = co_await timer.async_wait(nothrow);
            if(ec)
                co_return;
        }
    }

    net::awaitable<void> serve(tcp::socket socket)
    {
        net::steady_timer deadline(ioc);
        deadline.expires_after(request_deadline);
        deadline.async_wait([&socket](error_code ec) {
            if(!ec)
                socket.close();
        });
        beast::flat_buffer buffer(8 * 1024);
        http::request_parser<http::empty_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(0);
        auto [ec, n] = co_await http::async_read(socket, buffer, parser, nothrow);
        if(ec)
            co_return;
        const auto& req = parser.get();
        const admin_endpoint e = route_admin(req.method_string(), req.target());
        admin_reply reply = e == admin_endpoint::not_found || e == admin_endpoint::method_not_allowed
                                ? admin_error(e)
                                : handle(e);
        http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
        res.set(http::field::server, "model-runner-bridge");
        res.set(http::field::content_type, reply.content_type);
        res.set(http::field::cache_control, "no-store");
        if(e == admin_endpoint::method_not_allowed)
            res.set(http::field::allow, "GET, HEAD");
        res.keep_alive(false);
        const bool head = req.method() == http::verb::head;
        res.body() = std::move(reply.body);
        res.prepare_payload();
        if(head)
        {
            http::response_serializer<http::string_body> sr(res);
            sr.split(true);
            co_await http::async_write_header(socket, sr, nothrow);
        }
        else
            co_await http::async_write(socket, res, nothrow);
        error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
        deadline.cancel();
    }

    net::awaitable<void> accept_loop()
    {
        for(;;)
        {
            auto [ec, socket] = co_await acceptor.async_accept(nothrow);
            if(ec)
            {
                if(!acceptor.is_open())
                    co_return;
                // Out of descriptors and the like: wait, never spin.
                net::steady_timer pause(ioc, std::chrono::milliseconds(100));
                co_await pause.async_wait(nothrow);
                continue;
            }
            net::co_spawn(ioc, serve(std::move(socket)), net::detached);
        }
    }
};

admin_server::admin_server(std::string host, std::uint16_t port, handler h)
    : impl_(std::make_unique<impl>())
{
    impl_->host = std::move(host);
    impl_->wanted_port = port;
    impl_->handle = std::move(h);
}

admin_server::~admin_server()
{
    stop();
}

void admin_server::listen()
{
    error_code ec;
    const auto address = net::ip::make_address(impl_->host, ec);
    if(ec)
        throw listen_error("admin listener: '" + impl_->host + "' is not an IP address");
    const tcp::endpoint ep(address, impl_->wanted_port);
    auto& a = impl_->acceptor;
    a.open(ep.protocol(), ec);
    if(!ec)
        a.set_option(tcp::acceptor::reuse_address(true), ec);
    if(!ec)
        a.bind(ep, ec);
    if(!ec)
        a.listen(net::socket_base::max_listen_connections, ec);
    if(ec)
        throw listen_error("admin listener: cannot listen on " + impl_->host + ":" +
                           std::to_string(impl_->wanted_port) + ": " + ec.message());
}

std::uint16_t admin_server::port() const noexcept
{
    error_code ec;
    const auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void admin_server::every(std::chrono::milliseconds interval, std::function<void()> tick)
{
    impl_->tick_interval = interval;
    impl_->tick = std::move(tick);
}

void admin_server::start()
{
    net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
    if(impl_->tick)
        net::co_spawn(impl_->ioc, impl_->tick_loop(), net::detached);
    impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void admin_server::stop()
{
    if(!impl_)
        return;
    impl_->ioc.stop();
    if(impl_->thread.joinable())
        impl_->thread.join();
    // The loop is stopped: closing here races with nothing.
    error_code ignored;
    impl_->acceptor.close(ignored);
}

} // namespace mrb
