#include "fault_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace fakes::http_kit {

using namespace net::experimental::awaitable_operators;

namespace {

constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

// Peeks to tell a peer close (0 bytes / error) from pipelined data.
error_code
peer_state(tcp::socket& s)
{
    char c;
    ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if(n == 0)
        return net::error::eof;
    if(n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return error_code(errno, boost::system::system_category());
    return {};
}

} // namespace

fault_writer::fault_writer(tcp::socket& socket, toxics t)
    : socket_(socket)
    , toxics_(t)
{
}

net::awaitable<error_code>
fault_writer::pause(std::chrono::microseconds d)
{
    if(d.count() <= 0)
        co_return error_code{};
    net::steady_timer timer(socket_.get_executor());
    timer.expires_after(d);
    bool peer_has_data = false;
    for(;;)
    {
        if(peer_has_data)
        {
            // The peer pipelined a request: we cannot see its close any more, just wait.
            auto [ec] = co_await timer.async_wait(tuple_awaitable);
            (void)ec;
            co_return error_code{};
        }
        auto result = co_await (timer.async_wait(tuple_awaitable) ||
                                socket_.async_wait(tcp::socket::wait_read, tuple_awaitable));
        if(result.index() == 0)
            co_return error_code{};
        auto st = peer_state(socket_);
        if(st)
            co_return st;
        peer_has_data = true;
    }
}

net::awaitable<error_code>
fault_writer::stall(std::chrono::milliseconds max)
{
    if(max.count() > 0)
    {
        auto ec = co_await pause(max);
        co_return ec ? ec : error_code(net::error::timed_out);
    }
    for(;;)
    {
        auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, tuple_awaitable);
        if(ec)
            co_return ec;
        auto st = peer_state(socket_);
        if(st)
            co_return st;
        // Pipelined data keeps the socket readable: poll the peer every 50 ms instead.
        net::steady_timer t(socket_.get_executor(), std::chrono::milliseconds(50));
        co_await t.async_wait(tuple_awaitable);
    }
}

net::awaitable<error_code>
fault_writer::write_segment(std::string_view seg)
{
    auto [ec, n] = co_await net::async_write(socket_, net::buffer(seg.data(), seg.size()), tuple_awaitable);
    written_ += n;
    if(ec)
        co_return ec;
    if(toxics_.bandwidth_bytes_per_s > 0)
    {
        auto us = std::chrono::microseconds(static_cast<std::int64_t>(seg.size() * 1'000'000 / toxics_.bandwidth_bytes_per_s));
        if(auto pec = co_await pause(us); pec)
            co_return pec;
    }
    co_return error_code{};
}

net::awaitable<error_code>
fault_writer::write(std::string_view bytes)
{
    if(limit_hit_)
        co_return net::error::eof;
    if(first_write_)
    {
        first_write_ = false;
        if(auto ec = co_await pause(toxics_.latency); ec)
            co_return ec;
    }
    bool truncated = false;
    if(toxics_.limit_data && written_ + bytes.size() >= *toxics_.limit_data)
    {
        bytes = bytes.substr(0, static_cast<std::size_t>(*toxics_.limit_data - written_));
        truncated = true;
    }
    // Without slicing or a bandwidth cap: one write, the fast path.
    std::size_t seg = toxics_.slice_size;
    if(seg == 0 && toxics_.bandwidth_bytes_per_s > 0)
        seg = std::max<std::size_t>(1, toxics_.bandwidth_bytes_per_s / 100); // ~10 ms pieces
    if(seg == 0 || bytes.size() <= seg)
    {
        if(!bytes.empty())
            if(auto ec = co_await write_segment(bytes); ec)
                co_return ec;
    }
    else
    {
        for(std::size_t off = 0; off < bytes.size(); off += seg)
        {
            if(off > 0 && toxics_.slice_size > 0)
                if(auto ec = co_await pause(toxics_.slice_delay); ec)
                    co_return ec;
            if(auto ec = co_await write_segment(bytes.substr(off, seg)); ec)
                co_return ec;
        }
    }
    if(truncated)
    {
        limit_hit_ = true;
        // limit_data closes the connection like toxiproxy: a plain FIN.
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        socket_.close(ignored);
        co_return net::error::eof;
    }
    co_return error_code{};
}

void
fault_writer::reset_peer()
{
    error_code ignored;
    socket_.set_option(net::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
}

net::awaitable<void>
fault_writer::close()
{
    if(!socket_.is_open())
        co_return;
    if(toxics_.slow_close.count() > 0)
        co_await pause(toxics_.slow_close);
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
}

} // namespace fakes::http_kit
