#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace mrb::test {

namespace {

int connect_loopback(std::uint16_t port, int receive_buffer, int& error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        return -1;
    }
    if (receive_buffer > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = errno;
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

raw_client::raw_client(std::uint16_t port, int receive_buffer)
{
    int error = 0;
    fd_ = connect_loopback(port, receive_buffer, error);
    if (fd_ < 0)
        throw std::system_error(error, std::generic_category(), "connect 127.0.0.1:" + std::to_string(port));
}

std::optional<raw_client> raw_client::try_connect(std::uint16_t port, int* error)
{
    int e = 0;
    const int fd = connect_loopback(port, 0, e);
    if (error)
        *error = e;
    if (fd < 0)
        return std::nullopt;
    return raw_client(fd);
}

raw_client::raw_client(raw_client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      peer_closed_(other.peer_closed_),
      mode_(other.mode_),
      remaining_(other.remaining_),
      chunked_(other.chunked_),
      body_(std::move(other.body_)),
      body_done_(other.body_done_)
{
}

raw_client::~raw_client()
{
    close();
}

bool raw_client::send(std::string_view bytes)
{
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void raw_client::shutdown_write()
{
    ::shutdown(fd_, SHUT_WR);
}

void raw_client::close(bool reset)
{
    if (fd_ < 0)
        return;
    if (reset) {
        const linger lg{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    ::close(fd_);
    fd_ = -1;
}

bool raw_client::fill(std::chrono::steady_clock::time_point deadline)
{
    if (peer_closed_ || fd_ < 0)
        return false;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        char buf[65536];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            peer_closed_ = true;  // EOF or reset: either way the stream ended here
            return false;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
}

std::optional<http_head> raw_client::read_head(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = head_end(buffer_)) == std::string::npos)
        if (!fill(deadline))
            return std::nullopt;
    auto head = parse_head(std::string_view(buffer_).substr(0, end));
    buffer_.erase(0, end);
    if (!head)
        return std::nullopt;

    body_.clear();
    body_done_ = false;
    chunked_ = chunked_decoder{};
    const int status = head->status();
    const auto te = head->get("Transfer-Encoding");
    const auto cl = head->get("Content-Length");
    if ((status >= 100 && status < 200) || status == 204 || status == 304) {
        mode_ = body_mode::none;
    } else if (te && te->size() >= 7 && iequals(std::string_view(*te).substr(te->size() - 7), "chunked")) {
        mode_ = body_mode::chunked;
    } else if (cl) {
        mode_ = body_mode::length;
        remaining_ = std::stoull(*cl);
    } else {
        mode_ = body_mode::until_close;
    }
    if (mode_ == body_mode::none || (mode_ == body_mode::length && remaining_ == 0))
        body_done_ = true;
    consume_body_bytes();
    return head;
}

void raw_client::consume_body_bytes()
{
    if (body_done_ || buffer_.empty())
        return;
    switch (mode_) {
    case body_mode::none:
        break;
    case body_mode::length: {
        const auto take = std::min(remaining_, buffer_.size());
        body_.append(buffer_, 0, take);
        buffer_.erase(0, take);
        remaining_ -= take;
        body_done_ = remaining_ == 0;
        break;
    }
    case body_mode::chunked: {
        const auto used = chunked_.feed(buffer_, body_);
        buffer_.erase(0, used);
        body_done_ = chunked_.done();
        break;
    }
    case body_mode::until_close:
        body_ += buffer_;
        buffer_.clear();
        break;
    }
}

bool raw_client::read_body_until(std::string_view needle, std::chrono::milliseconds timeout, std::size_t from)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        consume_body_bytes();
        if (body_.find(needle, from) != std::string::npos)
            return true;
        if (body_done_ || chunked_.failed())
            return false;
        if (!fill(deadline)) {
            if (peer_closed_ && mode_ == body_mode::until_close)
                body_done_ = true;
            consume_body_bytes();
            return body_.find(needle, from) != std::string::npos;
        }
    }
}

void raw_client::read_body(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        consume_body_bytes();
        if (body_done_ || chunked_.failed())
            return;
        if (!fill(deadline)) {
            consume_body_bytes();
            if (peer_closed_ && mode_ == body_mode::until_close)
                body_done_ = true;
            return;
        }
    }
}

std::optional<http_response> raw_client::read_response(std::chrono::milliseconds timeout, bool head_request)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<http_head> head;
    do {
        head = read_head(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        if (!head)
            return std::nullopt;
    } while (head->status() >= 100 && head->status() < 200);
    if (head_request) {
        mode_ = body_mode::none;
        body_done_ = true;
    }
    read_body(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    http_response r;
    r.status = head->status();
    r.head = std::move(*head);
    r.body = body_;
    r.complete = body_done_;
    // Did the server close after this response? Only tell if it already happened.
    if (!peer_closed_ && buffer_.empty() && r.complete) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) {
            char c;
            const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK);
            if (n <= 0)
                peer_closed_ = true;
        }
    }
    r.closed = peer_closed_;
    r.cut = peer_closed_ && !body_done_;
    return r;
}

std::size_t raw_client::drain(std::size_t max_bytes, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t total = std::min(max_bytes, buffer_.size());
    buffer_.erase(0, total);
    while (total < max_bytes && fill(deadline)) {
        const auto take = std::min(max_bytes - total, buffer_.size());
        buffer_.erase(0, take);
        total += take;
    }
    return total;
}

bool raw_client::wait_closed(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!peer_closed_) {
        buffer_.clear();
        if (!fill(deadline) && !peer_closed_)
            return false;
    }
    return true;
}

}  // namespace mrb::test
