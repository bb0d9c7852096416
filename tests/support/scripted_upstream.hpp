#pragma once
// A scripted TCP server on 127.0.0.1:0 that stands in for the sandbox proxy (or the Model
// Runner behind a real proxy). Each accepted connection runs a script of steps; everything
// received is recorded raw. Plain POSIX sockets: no code shared with the bridge or Beast.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mrb::test {

/// One step of a connection script; build them with the functions in namespace `step`.
struct upstream_step {
    enum class kind { read_request, send, send_bulk, delay, gate, close, reset, stall, half_close };
    kind what = kind::stall;
    std::string bytes;                      ///< send
    std::size_t total = 0;                  ///< send_bulk: bytes to write
    std::chrono::milliseconds duration{0};  ///< delay
};
using upstream_script = std::vector<upstream_step>;

namespace step {
/// Reads one complete request (head, then a Content-Length or chunked body) and records it.
upstream_step read_request();
/// Writes bytes (blocking; a slow client throttles it).
upstream_step send(std::string bytes);
/// Writes `total` bytes of filler in 16 KiB pieces, counting progress in bytes_sent().
upstream_step send_bulk(std::size_t total);
/// Waits, watching the socket (a client close ends the script).
upstream_step delay(std::chrono::milliseconds d);
/// Waits until the test calls release() (one token per gate; gives up after 20 s).
upstream_step gate();
/// Closes with FIN.
upstream_step close();
/// Closes with RST (SO_LINGER 0).
upstream_step reset();
/// Sends FIN (shutdown SHUT_WR) but keeps reading: a following stall() records when the client
/// closes its side in return.
upstream_step half_close();
/// Reads and records until the client closes. Also what happens when a script runs out.
upstream_step stall();
}  // namespace step

/// What one accepted connection saw.
struct upstream_connection_record {
    std::chrono::steady_clock::time_point accepted_at;
    std::string received;               ///< every byte received, in order
    std::vector<std::string> requests;  ///< raw bytes of each request read by read_request
    std::optional<std::chrono::steady_clock::time_point> client_closed_at;  ///< EOF/RST seen
    std::size_t bytes_sent = 0;
    bool finished = false;  ///< the script ended and the socket is closed
};

struct upstream_options {
    int send_buffer = 0;  ///< SO_SNDBUF for accepted sockets (0 = kernel default)
};

class scripted_upstream {
public:

    /// Connection i (in accept order) runs per_connection[i]; later ones run `fallback`.
    /// Binds 127.0.0.1:0 and starts accepting at once. Throws std::system_error.
    explicit scripted_upstream(std::vector<upstream_script> per_connection,
        upstream_script fallback = {step::read_request(), step::reset()}, upstream_options opts = {});
    ~scripted_upstream();
    scripted_upstream(const scripted_upstream&) = delete;
    scripted_upstream& operator=(const scripted_upstream&) = delete;

    std::uint16_t port() const { return port_; }

    /// Opens one gate (a token consumed by the next gate step of any connection).
    void release(std::size_t n = 1);

    std::size_t connection_count() const;
    upstream_connection_record connection(std::size_t i) const;
    /// Requests read so far over all connections (connections in accept order).
    std::vector<std::string> requests() const;
    /// Bytes received over all connections.
    std::size_t bytes_received() const;

    testing::AssertionResult wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const;
    testing::AssertionResult wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
    /// Waits until some connection has received bytes containing `needle`.
    testing::AssertionResult wait_for_received(const std::string& needle, std::chrono::milliseconds timeout) const;
    /// Waits until connection `i` was closed by the client; returns when that was seen.
    std::optional<std::chrono::steady_clock::time_point> wait_for_client_close(
        std::size_t i, std::chrono::milliseconds timeout) const;
    /// Waits until connection `i`'s script has finished.
    testing::AssertionResult wait_for_finished(std::size_t i, std::chrono::milliseconds timeout) const;

    /// Stops accepting, closes every connection and joins the threads (idempotent).
    void stop();

private:
    struct connection_state;
    void accept_loop();
    void run_script(std::shared_ptr<connection_state> c, upstream_script script);

    upstream_options options_;
    std::vector<upstream_script> scripts_;
    upstream_script fallback_;
    int listen_fd_ = -1;
    int wake_pipe_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::vector<std::shared_ptr<connection_state>> connections_;
    std::size_t tokens_ = 0;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

}  // namespace mrb::test
