#pragma once
// http_io: read one HTTP/1.1 request with Beast into a plain struct (no Beast in this header),
// and build raw response bytes so a fake decides every byte it sends (framing faults included).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fakes::http_kit {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

using header_list = std::vector<std::pair<std::string, std::string>>;

/// One request as received: headers in wire order with their original spelling.
struct received_request
{
    std::string method;
    std::string target;
    unsigned version = 11;
    header_list headers;
    std::string body;
    bool keep_alive = true;

    /// First value of a header, case-insensitive name; empty if absent.
    std::string_view header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

/// Reads requests from one connection; keeps the read buffer between keep-alive requests.
class request_reader
{
public:
    explicit request_reader(std::uint64_t body_limit = 10 * 1024 * 1024 + 1,
                            std::uint32_t header_limit = 64 * 1024);
    ~request_reader();
    request_reader(const request_reader&) = delete;
    request_reader& operator=(const request_reader&) = delete;

    /// Reads the next request. Clean close before a request -> `end_of_stream(ec)` true;
    /// body over the limit -> `body_too_large(ec)` true (the connection must then be closed).
    net::awaitable<error_code> read(tcp::socket& socket, received_request& out);

    /// Answer "Expect: 100-continue" with "HTTP/1.1 100 Continue" before reading the body, as
    /// Go's server does (off by default: a proxy may prefer to forward the expectation).
    void answer_expect_continue(bool on) { answer_continue_ = on; }

    static bool end_of_stream(const error_code& ec);
    static bool body_too_large(const error_code& ec);

    /// Bytes already read past the last request (a pipelined request).
    std::size_t buffered() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    bool answer_continue_ = false;
};

/// Standard reason phrase ("OK", "Not Found", ...); "Unknown" for odd codes.
std::string_view reason_phrase(int status);

/// IMF-fixdate of now, as Go's net/http sends it ("Mon, 02 Jan 2006 15:04:05 GMT"); cached per second.
std::string http_date();

/// "HTTP/1.1 <status> <reason>\r\n" + each "name: value\r\n" + "\r\n".
std::string response_head(int status, const header_list& headers);

/// One chunk of chunked transfer coding: "<hex size>\r\n<data>\r\n". Empty data is NOT the
/// last chunk; use last_chunk() for that.
std::string chunk(std::string_view data);
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

/// Writes all bytes; returns the error (if any).
net::awaitable<error_code> write_all(tcp::socket& socket, std::string_view bytes);

/// Case-insensitive ASCII compare.
bool iequals(std::string_view a, std::string_view b);

} // namespace fakes::http_kit
