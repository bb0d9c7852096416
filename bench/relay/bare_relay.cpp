#include "bare_relay.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace mrb::bench {

namespace {

constexpr std::size_t buffer_size = 16 * 1024;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

void set_nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Copies `from` -> `to` until EOF (propagated as a half-close) or an error (both sockets are
// cut, which also wakes the thread copying the other way).
void pump(int from, int to) {
    char buf[buffer_size];
    for (;;) {
        const ssize_t n = ::read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) {
            ::shutdown(to, SHUT_WR);
            return;
        }
        if (n < 0) break;
        ssize_t off = 0;
        while (off < n) {
            // send(MSG_NOSIGNAL) is write() without SIGPIPE when the peer has gone.
            const ssize_t w = ::send(to, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += w;
        }
        if (off < n) break;
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
}

}  // namespace

struct bare_relay::impl {
    struct connection {
        std::mutex mutex;  // guards the descriptors against stop() shutting a reused number
        int client_fd = -1;
        int upstream_fd = -1;
        std::thread owner;
        std::atomic<bool> done{false};
    };

    std::uint16_t target_port;
    std::uint16_t listen_port;
    int listen_fd = -1;
    std::uint16_t port = 0;
    std::atomic<bool> stopping{false};
    std::mutex stop_mutex;
    std::thread accept_thread;
    std::mutex conns_mutex;
    std::list<std::shared_ptr<connection>> conns;
    std::atomic<std::uint64_t> accepted{0}, finished{0}, connect_failures{0};

    // The owner thread of one connection: connects upstream, copies upstream -> client itself
    // and client -> upstream on a second thread, then closes both.
    void serve(const std::shared_ptr<connection>& c) {
        int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok = up >= 0;
        if (ok) {
            set_nodelay(up);
            const sockaddr_in a = loopback(target_port);
            ok = ::connect(up, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
        }
        if (!ok) {
            if (up >= 0) ::close(up);
            ++connect_failures;
        } else {
            {
                std::lock_guard lock(c->mutex);
                c->upstream_fd = up;
                if (stopping.load()) {  // stop() ran while we connected: it could not cut this one
                    ::shutdown(c->client_fd, SHUT_RDWR);
                    ::shutdown(up, SHUT_RDWR);
                }
            }
            std::thread upward([client = c->client_fd, up] { pump(client, up); });
            pump(up, c->client_fd);
            upward.join();
        }
        {
            std::lock_guard lock(c->mutex);
            ::close(c->client_fd);
            c->client_fd = -1;
            if (c->upstream_fd >= 0) ::close(c->upstream_fd);
            c->upstream_fd = -1;
        }
        ++finished;
        c->done = true;
    }

    void reap_finished() {
        std::lock_guard lock(conns_mutex);
        for (auto it = conns.begin(); it != conns.end();) {
            if ((*it)->done.load()) {
                (*it)->owner.join();
                it = conns.erase(it);
            } else {
                ++it;
            }
        }
    }

    void accept_loop() {
        while (!stopping.load()) {
            const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                if (stopping.load()) return;
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    reap_finished();
                    ::poll(nullptr, 0, 10);  // out of descriptors: back off instead of spinning
                    continue;
                }
                return;  // the listener is gone (shut down by stop())
            }
            set_nodelay(fd);
            ++accepted;
            reap_finished();
            auto c = std::make_shared<connection>();
            c->client_fd = fd;
            std::lock_guard lock(conns_mutex);
            conns.push_back(c);
            c->owner = std::thread([this, c] { serve(c); });
        }
    }
};

bare_relay::bare_relay(std::uint16_t target_port, std::uint16_t listen_port) : impl_(std::make_unique<impl>()) {
    impl_->target_port = target_port;
    impl_->listen_port = listen_port;
}

bare_relay::~bare_relay() {
    stop();
    if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
}

void bare_relay::listen() {
    if (impl_->listen_fd >= 0) return;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("bare relay: socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    set_nodelay(fd);
    sockaddr_in a = loopback(impl_->listen_port);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, SOMAXCONN) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int e = errno;
        ::close(fd);
        throw std::runtime_error("bare relay: cannot listen on 127.0.0.1:" + std::to_string(impl_->listen_port) +
                                 ": " + std::strerror(e));
    }
    impl_->listen_fd = fd;
    impl_->port = ntohs(a.sin_port);
}

std::uint16_t bare_relay::port() const { return impl_->port; }

void bare_relay::start() {
    listen();
    if (!impl_->accept_thread.joinable()) impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
}

void bare_relay::run_in_this_thread() {
    listen();
    impl_->accept_loop();
}

void bare_relay::stop() {
    std::lock_guard once(impl_->stop_mutex);
    impl_->stopping = true;
    // shutdown() wakes a blocked accept(); the descriptor is closed by the destructor.
    if (impl_->listen_fd >= 0) ::shutdown(impl_->listen_fd, SHUT_RDWR);
    if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
    std::list<std::shared_ptr<impl::connection>> conns;
    {
        std::lock_guard lock(impl_->conns_mutex);
        conns.swap(impl_->conns);
    }
    for (auto& c : conns) {
        std::lock_guard lock(c->mutex);
        if (c->client_fd >= 0) ::shutdown(c->client_fd, SHUT_RDWR);
        if (c->upstream_fd >= 0) ::shutdown(c->upstream_fd, SHUT_RDWR);
    }
    for (auto& c : conns)
        if (c->owner.joinable()) c->owner.join();
}

std::uint64_t bare_relay::connections_accepted() const { return impl_->accepted.load(); }
std::uint64_t bare_relay::connections_finished() const { return impl_->finished.load(); }
std::uint64_t bare_relay::connect_failures() const { return impl_->connect_failures.load(); }

}  // namespace mrb::bench
