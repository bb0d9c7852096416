#pragma once
// A blocking loopback TCP client that sends raw bytes and reads HTTP responses with deadlines.

#include "http_wire.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mrb::test {

/// A response as the client saw it. `body` is the decoded payload (chunked framing removed).
struct http_response {
    http_head head;
    int status = 0;
    std::string body;
    /// The message ended as its framing says (Content-Length reached, last-chunk seen, or
    /// EOF for a close-delimited body).
    bool complete = false;
    /// The connection ended (EOF or reset) before the message was complete.
    bool cut = false;
    /// The peer closed the connection after (or while) sending this response.
    bool closed = false;
};

/**
 * One TCP connection to 127.0.0.1:port. Reads keep unconsumed bytes for the next response,
 * so pipelined or keep-alive exchanges work. Every read has a deadline.
 */
class raw_client {
public:
    /// Connects; `receive_buffer` > 0 sets SO_RCVBUF before connecting (small = slow reader).
    /// Throws std::system_error if the connection fails.
    explicit raw_client(std::uint16_t port, int receive_buffer = 0);
    /// Like the constructor, but returns nullopt (and the errno in `error`) on failure.
    static std::optional<raw_client> try_connect(std::uint16_t port, int* error = nullptr);
    ~raw_client();
    raw_client(raw_client&& other) noexcept;
    raw_client& operator=(raw_client&&) = delete;
    raw_client(const raw_client&) = delete;

    /// Sends all bytes; false if the connection failed.
    bool send(std::string_view bytes);
    void shutdown_write();
    /// Closes now; with `reset`, sends RST instead of FIN (SO_LINGER 0).
    void close(bool reset = false);

    /// Reads a complete response (head and body). `head_request` = no body expected.
    /// Returns nullopt if no complete head arrived in time; otherwise the response, with
    /// `complete`/`cut` telling how the body ended (a timeout mid-body gives neither).
    std::optional<http_response> read_response(std::chrono::milliseconds timeout, bool head_request = false);

    /// Reads just the head of a response; the body is then read with read_body_until/read_body.
    std::optional<http_head> read_head(std::chrono::milliseconds timeout);
    /// After read_head: reads body bytes until the decoded body contains `needle` (from
    /// position `from`), the message ends, or the deadline passes. Returns true if found.
    bool read_body_until(std::string_view needle, std::chrono::milliseconds timeout, std::size_t from = 0);
    /// After read_head: reads until the message ends or the connection ends or the deadline.
    void read_body(std::chrono::milliseconds timeout);
    /// Decoded body received so far for the current response.
    const std::string& body() const { return body_; }
    bool body_complete() const { return body_done_; }
    /// True if the connection ended before the current body was complete.
    bool body_cut() const { return peer_closed_ && !body_done_; }

    /// Reads and discards up to `max_bytes` raw bytes within `timeout`; returns bytes read.
    std::size_t drain(std::size_t max_bytes, std::chrono::milliseconds timeout);

    /// Waits until the peer closes (EOF or reset), discarding data. True if it closed in time.
    bool wait_closed(std::chrono::milliseconds timeout);
    bool peer_closed() const { return peer_closed_; }

private:
    explicit raw_client(int fd) : fd_(fd) {}
    /// One recv into buffer_ waiting at most until `deadline`; false on timeout or close.
    bool fill(std::chrono::steady_clock::time_point deadline);
    void consume_body_bytes();

    int fd_ = -1;
    std::string buffer_;  // raw bytes received and not yet consumed
    bool peer_closed_ = false;

    // current response body state
    enum class body_mode { none, length, chunked, until_close };
    body_mode mode_ = body_mode::none;
    std::size_t remaining_ = 0;
    chunked_decoder chunked_;
    std::string body_;
    bool body_done_ = false;
};

}  // namespace mrb::test
