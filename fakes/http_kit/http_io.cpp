#include "http_io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>

namespace fakes::http_kit {

namespace beast = boost::beast;
namespace http = beast::http;

bool
iequals(std::string_view a, std::string_view b)
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i)
        if(std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view
received_request::header(std::string_view name) const
{
    for(const auto& [k, v] : headers)
        if(iequals(k, name))
            return v;
    return {};
}

bool
received_request::has_header(std::string_view name) const
{
    for(const auto& h : headers)
        if(iequals(h.first, name))
            return true;
    return false;
}

struct request_reader::impl
{
    beast::flat_buffer buffer;
    std::uint64_t body_limit;
    std::uint32_t header_limit;
};

request_reader::request_reader(std::uint64_t body_limit, std::uint32_t header_limit)
    : impl_(std::make_unique<impl>())
{
    impl_->body_limit = body_limit;
    impl_->header_limit = header_limit;
}

request_reader::~request_reader() = default;

std::size_t
request_reader::buffered() const
{
    return impl_->buffer.size();
}

net::awaitable<error_code>
request_reader::read(tcp::socket& socket, received_request& out)
{
    // A fresh parser per request: limits apply per message (Beast advanced_server pattern).
    http::request_parser<http::string_body> parser;
    parser.body_limit(impl_->body_limit);
    parser.header_limit(impl_->header_limit);
    auto [hec, hn] = co_await http::async_read_header(socket, impl_->buffer, parser, net::as_tuple(net::use_awaitable));
    if(hec)
        co_return hec;
    // Like Go's server: answer "Expect: 100-continue" before reading the body (curl waits 1 s otherwise).
    if(auto it = parser.get().find(http::field::expect);
       answer_continue_ && it != parser.get().end() && iequals(std::string_view(it->value().data(), it->value().size()), "100-continue") && !parser.is_done())
    {
        static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [wec, wn] = co_await net::async_write(socket, net::buffer(cont.data(), cont.size()), net::as_tuple(net::use_awaitable));
        if(wec)
            co_return wec;
    }
    if(!parser.is_done())
    {
        auto [ec, n] = co_await http::async_read(socket, impl_->buffer, parser, net::as_tuple(net::use_awaitable));
        if(ec)
            co_return ec;
    }
    auto& msg = parser.get();
    out.method = std::string(msg.method_string());
    out.target = std::string(msg.target());
    out.version = msg.version();
    out.headers.clear();
    for(const auto& f : msg)
        out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(msg.body());
    out.keep_alive = msg.keep_alive();
    co_return error_code{};
}

bool
request_reader::end_of_stream(const error_code& ec)
{
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset;
}

bool
request_reader::body_too_large(const error_code& ec)
{
    return ec == http::error::body_limit;
}

std::string_view
reason_phrase(int status)
{
    auto r = http::obsolete_reason(static_cast<http::status>(status));
    return {r.data(), r.size()};
}

std::string
http_date()
{
    // Formatting a date per response is measurable under load; cache it per second.
    static std::mutex mutex;
    static std::time_t cached_at = 0;
    static std::string cached;
    std::time_t now = std::time(nullptr);
    std::lock_guard lock(mutex);
    if(now != cached_at)
    {
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::array<char, 64> buf{};
        std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached = buf.data();
        cached_at = now;
    }
    return cached;
}

std::string
response_head(int status, const header_list& headers)
{
    std::string out;
    out.reserve(128 + headers.size() * 48);
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += reason_phrase(status);
    out += "\r\n";
    for(const auto& [k, v] : headers)
    {
        out += k;
        out += ": ";
        out += v;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

void
append_chunk(std::string& out, std::string_view data)
{
    std::array<char, 20> hex{};
    int n = std::snprintf(hex.data(), hex.size(), "%zx\r\n", data.size());
    out.append(hex.data(), static_cast<std::size_t>(n));
    out.append(data);
    out += "\r\n";
}

std::string
chunk(std::string_view data)
{
    std::string out;
    out.reserve(data.size() + 12);
    append_chunk(out, data);
    return out;
}

net::awaitable<error_code>
write_all(tcp::socket& socket, std::string_view bytes)
{
    auto [ec, n] = co_await net::async_write(socket, net::buffer(bytes.data(), bytes.size()),
                                             net::as_tuple(net::use_awaitable));
    co_return ec;
}

} // namespace fakes::http_kit
