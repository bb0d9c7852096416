#include "script_server.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace oc_test {

namespace net = boost::asio;
using tcp = net::ip::tcp;

void
script_connection::write(std::string_view bytes)
{
    boost::system::error_code ignored;
    net::write(socket_, net::buffer(bytes.data(), bytes.size()), ignored);
}

void
script_connection::chunk(std::string_view data)
{
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    write(std::string(size) + std::string(data) + "\r\n");
}

void
script_connection::reset()
{
    boost::system::error_code ignored;
    socket_.set_option(net::socket_base::linger(true, 0), ignored);
    reset_ = true;
}

bool
script_connection::wait_for_client_close(std::chrono::milliseconds timeout)
{
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    for (;;)
    {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{socket_.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            continue;
        char c;
        auto const n = ::recv(socket_.native_handle(), &c, 1, 0);
        if (n <= 0)
            return true;
    }
}

script_server::script_server(script s)
    : script_(std::move(s)), acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0))
{
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] {
        for (int index = 0;; ++index)
        {
            boost::system::error_code ec;
            tcp::socket socket(ioc_);
            acceptor_.accept(socket, ec);
            std::lock_guard lock(mutex_);
            if (ec || stopping_)
                return;
            ++connections_;
            fds_.push_back(socket.native_handle());
            threads_.emplace_back([this, index, sock = std::move(socket)]() mutable {
                serve(std::move(sock), index);
            });
        }
    });
}

script_server::~script_server()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        // Unblock accept() and every blocked recv() at the OS level.
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
        for (int fd : fds_)
            ::shutdown(fd, SHUT_RDWR);
    }
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        threads.swap(threads_);
    }
    for (auto& t : threads)
        t.join();
}

std::vector<recorded_request>
script_server::requests() const
{
    std::lock_guard lock(mutex_);
    return requests_;
}

int
script_server::connections() const
{
    std::lock_guard lock(mutex_);
    return connections_;
}

void
script_server::serve(tcp::socket socket, int index)
{
    std::string buffer;
    char chunk[16384];
    for (;;)
    {
        // Read one request head, then its Content-Length body.
        std::size_t head_end;
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos)
        {
            boost::system::error_code ec;
            auto const n = socket.read_some(net::buffer(chunk), ec);
            if (ec)
                return close(socket, false);
            buffer.append(chunk, n);
        }
        recorded_request r;
        r.connection = index;
        r.head = buffer.substr(0, head_end + 4);
        std::string lower = r.head;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        std::size_t length = 0;
        if (auto p = lower.find("\r\ncontent-length:"); p != std::string::npos)
            length = std::stoul(lower.substr(p + 17));
        buffer.erase(0, head_end + 4);
        while (buffer.size() < length)
        {
            boost::system::error_code ec;
            auto const n = socket.read_some(net::buffer(chunk), ec);
            if (ec)
                return close(socket, false);
            buffer.append(chunk, n);
        }
        r.body = buffer.substr(0, length);
        buffer.erase(0, length);
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(r);
        }
        script_connection c(socket);
        bool const keep = script_(c, r);
        if (c.reset_requested())
        {
            close(socket, false);
            return;
        }
        if (!keep)
            break;
    }
    close(socket, true);
}

void
script_server::close(tcp::socket& socket, bool graceful)
{
    {
        // Forget the descriptor first so the destructor never shuts down a reused number.
        std::lock_guard lock(mutex_);
        fds_.erase(std::remove(fds_.begin(), fds_.end(), socket.native_handle()), fds_.end());
    }
    boost::system::error_code ignored;
    if (graceful)
        socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}

refused_port::refused_port() : socket_(ioc_)
{
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port_ = socket_.local_endpoint().port();
}

}  // namespace oc_test
