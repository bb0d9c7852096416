#include "scripted_upstream.hpp"

#include "http_wire.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace mrb::test {

using clock = std::chrono::steady_clock;

namespace step {
upstream_step read_request() { return {upstream_step::kind::read_request, {}, 0, {}}; }
upstream_step send(std::string bytes) { return {upstream_step::kind::send, std::move(bytes), 0, {}}; }
upstream_step send_bulk(std::size_t total) { return {upstream_step::kind::send_bulk, {}, total, {}}; }
upstream_step delay(std::chrono::milliseconds d) { return {upstream_step::kind::delay, {}, 0, d}; }
upstream_step gate() { return {upstream_step::kind::gate, {}, 0, {}}; }
upstream_step close() { return {upstream_step::kind::close, {}, 0, {}}; }
upstream_step reset() { return {upstream_step::kind::reset, {}, 0, {}}; }
upstream_step stall() { return {upstream_step::kind::stall, {}, 0, {}}; }
upstream_step half_close() { return {upstream_step::kind::half_close, {}, 0, {}}; }
}  // namespace step

struct scripted_upstream::connection_state {
    int fd = -1;                 // guarded by the owner's mutex_ for close/shutdown
    std::size_t consumed = 0;    // offset in rec.received where the next request starts
    upstream_connection_record rec;
};

scripted_upstream::scripted_upstream(std::vector<upstream_script> per_connection, upstream_script fallback, upstream_options opts)
    : options_(opts), scripts_(std::move(per_connection)), fallback_(std::move(fallback))
{
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 128) != 0
        || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int e = errno;
        ::close(listen_fd_);
        throw std::system_error(e, std::generic_category(), "bind/listen 127.0.0.1:0");
    }
    port_ = ntohs(addr.sin_port);
    if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
        const int e = errno;
        ::close(listen_fd_);
        throw std::system_error(e, std::generic_category(), "pipe2");
    }
    acceptor_ = std::thread([this] { accept_loop(); });
}

scripted_upstream::~scripted_upstream()
{
    stop();
}

void scripted_upstream::stop()
{
    if (stopping_.exchange(true))
        return;
    const char c = 'x';
    [[maybe_unused]] auto w = ::write(wake_pipe_[1], &c, 1);
    acceptor_.join();
    {
        std::lock_guard lock(mutex_);
        for (auto& c : connections_)
            if (c->fd >= 0)
                ::shutdown(c->fd, SHUT_RDWR);  // wakes blocked send/recv
        cv_.notify_all();
    }
    for (auto& t : threads_)
        t.join();
    for (auto& c : connections_)
        if (c->fd >= 0)
            ::close(c->fd);
    ::close(listen_fd_);
    ::close(wake_pipe_[0]);
    ::close(wake_pipe_[1]);
}

void scripted_upstream::accept_loop()
{
    for (;;) {
        pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        if (::poll(p, 2, -1) < 0 && errno != EINTR)
            return;
        if (stopping_ || (p[1].revents & POLLIN))
            return;
        if (!(p[0].revents & POLLIN))
            continue;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (options_.send_buffer > 0)
            ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options_.send_buffer, sizeof options_.send_buffer);
        auto c = std::make_shared<connection_state>();
        c->fd = fd;
        c->rec.accepted_at = clock::now();
        std::lock_guard lock(mutex_);
        const std::size_t index = connections_.size();
        connections_.push_back(c);
        threads_.emplace_back([this, c, script = index < scripts_.size() ? scripts_[index] : fallback_] {
            run_script(c, script);
        });
        cv_.notify_all();
    }
}

void scripted_upstream::run_script(std::shared_ptr<connection_state> c, upstream_script script)
{
    const int fd = c->fd;
    bool open = true;

    auto mark_closed = [&] {
        std::lock_guard lock(mutex_);
        if (!c->rec.client_closed_at)
            c->rec.client_closed_at = clock::now();
        open = false;
        cv_.notify_all();
    };
    // One poll + recv; returns false once the client closed (or we are stopping).
    auto read_some = [&](int wait_ms) {
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, wait_ms);
        if (stopping_) {
            open = false;
            return false;
        }
        if (r <= 0)
            return true;
        char buf[65536];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return true;
        if (n <= 0) {
            mark_closed();
            return false;
        }
        std::lock_guard lock(mutex_);
        c->rec.received.append(buf, static_cast<std::size_t>(n));
        cv_.notify_all();
        return true;
    };
    auto send_all = [&](std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (!stopping_)
                    mark_closed();
                open = false;
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
            std::lock_guard lock(mutex_);
            c->rec.bytes_sent += static_cast<std::size_t>(n);
        }
        return true;
    };
    auto read_one_request = [&] {
        // Find the head, then the body by Content-Length or chunked framing.
        for (;;) {
            std::string view;
            {
                std::lock_guard lock(mutex_);
                view = c->rec.received.substr(c->consumed);
            }
            const auto end = head_end(view);
            if (end != std::string::npos) {
                const auto head = parse_head(std::string_view(view).substr(0, end));
                std::size_t body_len = 0;
                bool complete = true;
                if (head) {
                    const auto te = head->get("Transfer-Encoding");
                    if (te && te->find("chunked") != std::string::npos) {
                        chunked_decoder dec;
                        std::string ignored;
                        body_len = dec.feed(std::string_view(view).substr(end), ignored);
                        complete = dec.done() || dec.failed();
                    } else if (const auto cl = head->get("Content-Length")) {
                        try {
                            body_len = std::stoull(*cl);
                        } catch (...) {
                            body_len = 0;
                        }
                        complete = view.size() >= end + body_len;
                    }
                }
                if (complete) {
                    std::lock_guard lock(mutex_);
                    c->rec.requests.push_back(view.substr(0, end + body_len));
                    c->consumed += end + body_len;
                    cv_.notify_all();
                    return true;
                }
            }
            if (!read_some(10))
                return false;
        }
    };

    for (const auto& s : script) {
        if (!open || stopping_)
            break;
        switch (s.what) {
        case upstream_step::kind::read_request:
            read_one_request();
            break;
        case upstream_step::kind::send:
            send_all(s.bytes);
            break;
        case upstream_step::kind::send_bulk: {
            const std::string piece(16384, 'x');
            for (std::size_t sent = 0; open && sent < s.total; sent += piece.size())
                send_all(std::string_view(piece).substr(0, std::min(piece.size(), s.total - sent)));
            break;
        }
        case upstream_step::kind::delay: {
            const auto until = clock::now() + s.duration;
            while (open && clock::now() < until) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
                read_some(static_cast<int>(std::max<long long>(1, std::min<long long>(left, 10))));
            }
            break;
        }
        case upstream_step::kind::gate: {
            const auto until = clock::now() + std::chrono::seconds(20);
            bool got = false;
            while (open && !got && clock::now() < until) {
                {
                    std::lock_guard lock(mutex_);
                    if (tokens_ > 0) {
                        --tokens_;
                        got = true;
                        break;
                    }
                }
                read_some(5);
            }
            if (!got)
                open = false;
            break;
        }
        case upstream_step::kind::close:
        case upstream_step::kind::reset: {
            std::lock_guard lock(mutex_);
            if (s.what == upstream_step::kind::reset) {
                const linger lg{1, 0};
                ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            }
            ::close(fd);
            c->fd = -1;
            open = false;
            break;
        }
        case upstream_step::kind::stall:
            while (open && read_some(50)) {
            }
            break;
        case upstream_step::kind::half_close: {
            std::lock_guard lock(mutex_);
            ::shutdown(fd, SHUT_WR);
            break;
        }
        }
    }
    // A script that runs out keeps the connection open until the client closes.
    while (open && !stopping_ && read_some(50)) {
    }
    std::lock_guard lock(mutex_);
    if (c->fd >= 0) {
        ::close(c->fd);
        c->fd = -1;
    }
    c->rec.finished = true;
    cv_.notify_all();
}

void scripted_upstream::release(std::size_t n)
{
    std::lock_guard lock(mutex_);
    tokens_ += n;
    cv_.notify_all();
}

std::size_t scripted_upstream::connection_count() const
{
    std::lock_guard lock(mutex_);
    return connections_.size();
}

upstream_connection_record scripted_upstream::connection(std::size_t i) const
{
    std::lock_guard lock(mutex_);
    return i < connections_.size() ? connections_[i]->rec : upstream_connection_record{};
}

std::vector<std::string> scripted_upstream::requests() const
{
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& c : connections_)
        for (const auto& r : c->rec.requests)
            out.push_back(r);
    return out;
}

std::size_t scripted_upstream::bytes_received() const
{
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& c : connections_)
        n += c->rec.received.size();
    return n;
}

testing::AssertionResult scripted_upstream::wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, timeout, [&] { return connections_.size() >= n; }))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "upstream accepted " << connections_.size() << " connections, expected "
                                       << n << " within " << timeout.count() << " ms";
}

testing::AssertionResult scripted_upstream::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    auto count = [&] {
        std::size_t k = 0;
        for (const auto& c : connections_)
            k += c->rec.requests.size();
        return k;
    };
    if (cv_.wait_for(lock, timeout, [&] { return count() >= n; }))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "upstream read " << count() << " requests, expected " << n << " within "
                                       << timeout.count() << " ms";
}

testing::AssertionResult scripted_upstream::wait_for_received(const std::string& needle, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    auto found = [&] {
        for (const auto& c : connections_)
            if (c->rec.received.find(needle) != std::string::npos)
                return true;
        return false;
    };
    if (cv_.wait_for(lock, timeout, found))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "upstream never received \"" << needle << "\" within " << timeout.count() << " ms";
}

std::optional<clock::time_point> scripted_upstream::wait_for_client_close(std::size_t i, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return i < connections_.size() && connections_[i]->rec.client_closed_at; }))
        return std::nullopt;
    return connections_[i]->rec.client_closed_at;
}

testing::AssertionResult scripted_upstream::wait_for_finished(std::size_t i, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, timeout, [&] { return i < connections_.size() && connections_[i]->rec.finished; }))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "upstream connection " << i << " did not finish within " << timeout.count() << " ms";
}

}  // namespace mrb::test
