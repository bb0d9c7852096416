// The bare relay on loopback: bytes both ways, half-close in each direction, a refused target,
// and stop() with a connection still open. Plain sockets with receive timeouts: no test waits
// forever.
#include "relay/bare_relay.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

namespace mrb::bench {
namespace {

class socket_fd {
public:
    explicit socket_fd(int fd = -1) : fd_(fd) {}
    ~socket_fd() { reset(); }
    socket_fd(socket_fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    socket_fd& operator=(socket_fd&& o) noexcept {
        reset();
        fd_ = o.fd_;
        o.fd_ = -1;
        return *this;
    }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

void set_timeout(int fd, int seconds = 10) {
    timeval tv{seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

// A listening socket on 127.0.0.1:0 standing in for the relay's target.
struct target_listener {
    socket_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    std::uint16_t port = 0;
    target_listener() {
        sockaddr_in a = loopback(0);
        socklen_t len = sizeof a;
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd.get(), 16) != 0 ||
            ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("target listener");
        port = ntohs(a.sin_port);
        set_timeout(fd.get());  // accept() gives up after the timeout too
    }
    socket_fd accept_one() {
        socket_fd c(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (c.get() >= 0) set_timeout(c.get());
        return c;
    }
};

socket_fd connect_to(std::uint16_t port) {
    socket_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in a = loopback(port);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return socket_fd();
    set_timeout(fd.get());
    return fd;
}

bool send_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads until EOF; `clean` is false if it ended with an error or a timeout instead.
std::string read_to_eof(int fd, bool& clean) {
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) {
            clean = true;
            return out;
        }
        if (n < 0) {
            clean = false;
            return out;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

std::string pattern(std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + (i * 7 + i / 251) % 61);
    return s;
}

// A started relay in front of a listening target; connect_through() opens one client connection
// and accepts the relay's connection to the target.
class bare_relay_hop : public testing::Test {
protected:
    target_listener target;
    bare_relay relay{target.port};
    socket_fd client;
    socket_fd upstream;

    void SetUp() override { relay.start(); }

    testing::AssertionResult connect_through() {
        client = connect_to(relay.port());
        if (client.get() < 0) return testing::AssertionFailure() << "cannot connect to the relay";
        upstream = target.accept_one();
        if (upstream.get() < 0) return testing::AssertionFailure() << "the relay did not connect to its target";
        return testing::AssertionSuccess();
    }
};

TEST_F(bare_relay_hop, request_then_half_close_then_response) {
    ASSERT_NE(relay.port(), 0);
    ASSERT_TRUE(connect_through());

    ASSERT_TRUE(send_all(client.get(), "hello"));
    ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
    bool clean = false;
    // The target sees the bytes and then EOF: the client's half-close went through.
    EXPECT_EQ(read_to_eof(upstream.get(), clean), "hello");
    EXPECT_TRUE(clean);

    // The other direction is still open after the half-close.
    ASSERT_TRUE(send_all(upstream.get(), "world"));
    upstream.reset();
    EXPECT_EQ(read_to_eof(client.get(), clean), "world");
    EXPECT_TRUE(clean);
    relay.stop();
    EXPECT_EQ(relay.connections_accepted(), 1u);
    EXPECT_EQ(relay.connections_finished(), 1u);
}

TEST_F(bare_relay_hop, large_bodies_both_ways_at_once_and_upstream_half_close_first) {
    ASSERT_TRUE(connect_through());

    // More than the socket buffers and the relay's 16 KiB buffer, in both directions at once,
    // so a relay that copied one direction at a time would deadlock (and time out here).
    const std::string up_bytes = pattern(3 << 20, 'a'), down_bytes = pattern(5 << 20, 'A');
    std::string got_up, got_down;
    bool up_clean = false, down_clean = false;
    std::thread target_side([&] {
        std::thread reader([&] { got_up = read_to_eof(upstream.get(), up_clean); });
        send_all(upstream.get(), down_bytes);
        ::shutdown(upstream.get(), SHUT_WR);  // the target finishes first
        reader.join();
    });
    std::thread client_reader([&] { got_down = read_to_eof(client.get(), down_clean); });
    EXPECT_TRUE(send_all(client.get(), up_bytes));
    client_reader.join();
    // The client saw the target's half-close while its own direction was still open.
    ::shutdown(client.get(), SHUT_WR);
    target_side.join();

    EXPECT_TRUE(down_clean);
    EXPECT_TRUE(up_clean);
    EXPECT_EQ(got_down.size(), down_bytes.size());
    EXPECT_TRUE(got_down == down_bytes);
    EXPECT_EQ(got_up.size(), up_bytes.size());
    EXPECT_TRUE(got_up == up_bytes);
}

TEST(bare_relay, refused_target_closes_the_client) {
    std::uint16_t dead_port;
    {
        target_listener gone;  // bound then closed: nothing listens there now
        dead_port = gone.port;
    }
    bare_relay relay(dead_port);
    relay.start();
    socket_fd client = connect_to(relay.port());
    ASSERT_GE(client.get(), 0);
    bool clean = false;
    EXPECT_EQ(read_to_eof(client.get(), clean), "");
    EXPECT_TRUE(clean) << "the client was not closed (timed out or reset)";
    relay.stop();
    EXPECT_EQ(relay.connect_failures(), 1u);
}

TEST_F(bare_relay_hop, stop_cuts_open_connections) {
    ASSERT_TRUE(connect_through());
    ASSERT_TRUE(send_all(client.get(), "x"));
    char c = 0;
    ASSERT_EQ(::read(upstream.get(), &c, 1), 1);  // the connection is up and relaying

    relay.stop();  // must not wait for either peer to close
    EXPECT_EQ(relay.connections_finished(), 1u);
    bool clean = false;
    EXPECT_EQ(read_to_eof(client.get(), clean), "");
    EXPECT_TRUE(clean);
    // No new connections after stop().
    EXPECT_LT(connect_to(relay.port()).get(), 0);
}

}  // namespace
}  // namespace mrb::bench
