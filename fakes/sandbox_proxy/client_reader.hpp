#pragma once

#include "http_kit/http_io.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>

namespace fakes::sandbox_proxy {

/// Reads requests from one client connection with the body as a stream: the head and at most
/// a small prefix of the body first, then the rest in pieces the caller relays (or drops), so
/// a body of any size passes with bounded memory. Keeps the read buffer between keep-alive
/// requests. No Beast in this header: the parser lives in the .cpp.
class client_reader
{
public:
    using tcp = boost::asio::ip::tcp;
    using error_code = boost::system::error_code;

    /// `body_limit` 0 = no limit. Over the limit: a Content-Length fails at the head, a chunked
    /// body when it gets there (body_too_large()).
    explicit client_reader(std::uint64_t body_limit = 0, std::uint32_t header_limit = 64 * 1024);
    ~client_reader();
    client_reader(const client_reader&) = delete;
    client_reader& operator=(const client_reader&) = delete;

    /// Reads the next head, then body bytes into `out.body` until the body ends or
    /// `prefix_limit` bytes are held. body_done() then tells whether the body is all there.
    boost::asio::awaitable<error_code>
    read(tcp::socket& socket, http_kit::received_request& out, std::size_t prefix_limit);

    /// The next body bytes into `buf`; returns how many (0 only with an error or at the end).
    boost::asio::awaitable<std::pair<error_code, std::size_t>>
    read_body(tcp::socket& socket, std::span<char> buf);

    /// The current request's body has been read to its end (true when it has none).
    bool
    body_done() const;

    /// The current request's Content-Length, if it declared one.
    std::optional<std::uint64_t>
    content_length() const;

    /// Body bytes of the current request read so far (prefix included).
    std::uint64_t
    body_received() const;

    /// Clean close before a request, or a client that went away.
    static bool
    end_of_stream(const error_code& ec);

    /// The client went away in the middle of a body.
    static bool
    cut_mid_body(const error_code& ec);

    static bool
    body_too_large(const error_code& ec);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace fakes::sandbox_proxy
