#include "client_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>

namespace fakes::sandbox_proxy {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct client_reader::impl
{
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::buffer_body>> parser;
    std::uint64_t body_limit = 0;
    std::uint32_t header_limit = 0;
    std::optional<std::uint64_t> content_length;
    std::uint64_t received = 0;
};

client_reader::client_reader(std::uint64_t body_limit, std::uint32_t header_limit)
    : impl_(std::make_unique<impl>())
{
    impl_->body_limit = body_limit;
    impl_->header_limit = header_limit;
    // Beast reads at most the buffer's free capacity (512 bytes when empty): room for a whole
    // relay buffer keeps a large body at a few syscalls per 64 KiB instead of a hundred.
    impl_->buffer.reserve(64 * 1024);
}

client_reader::~client_reader() = default;

net::awaitable<client_reader::error_code>
client_reader::read(tcp::socket& socket, http_kit::received_request& out, std::size_t prefix_limit)
{
    // A fresh parser per request: limits apply per message.
    auto& p = impl_->parser.emplace();
    if(impl_->body_limit)
        p.body_limit(impl_->body_limit);
    else
        p.body_limit(boost::none);
    p.header_limit(impl_->header_limit);
    impl_->content_length.reset();
    impl_->received = 0;
    auto [hec, hn] = co_await http::async_read_header(socket, impl_->buffer, p,
        net::as_tuple(net::use_awaitable));
    if(hec)
        co_return hec;
    auto const& msg = p.get();
    out.method = std::string(msg.method_string());
    out.target = std::string(msg.target());
    out.version = msg.version();
    out.headers.clear();
    for(auto const& f : msg)
        out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.keep_alive = msg.keep_alive();
    if(p.content_length())
        impl_->content_length = *p.content_length();

    // The prefix: a small body arrives whole here and is forwarded as before (with its length).
    out.body.clear();
    while(!p.is_done() && out.body.size() < prefix_limit)
    {
        auto const held = out.body.size();
        out.body.resize(std::min(prefix_limit, held + 64 * 1024));
        auto [ec, n] = co_await read_body(socket, std::span(out.body).subspan(held));
        out.body.resize(held + n);
        if(ec)
            co_return ec;
    }
    co_return error_code{};
}

net::awaitable<std::pair<client_reader::error_code, std::size_t>>
client_reader::read_body(tcp::socket& socket, std::span<char> buf)
{
    auto& p = *impl_->parser;
    // One socket read may carry only chunk framing; go on until a body byte or the end.
    while(!p.is_done())
    {
        p.get().body().data = buf.data();
        p.get().body().size = buf.size();
        auto [ec, n] = co_await http::async_read_some(socket, impl_->buffer, p,
            net::as_tuple(net::use_awaitable));
        if(ec == http::error::need_buffer)
            ec = {};
        auto const got = buf.size() - p.get().body().size;
        impl_->received += got;
        if(ec || got > 0)
            co_return std::pair{ec, got};
    }
    co_return std::pair{error_code{}, std::size_t{0}};
}

bool
client_reader::body_done() const
{
    return impl_->parser && impl_->parser->is_done();
}

std::optional<std::uint64_t>
client_reader::content_length() const
{
    return impl_->content_length;
}

std::uint64_t
client_reader::body_received() const
{
    return impl_->received;
}

bool
client_reader::end_of_stream(const error_code& ec)
{
    return ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset;
}

bool
client_reader::cut_mid_body(const error_code& ec)
{
    return end_of_stream(ec) || ec == http::error::partial_message;
}

bool
client_reader::body_too_large(const error_code& ec)
{
    return ec == http::error::body_limit;
}

} // namespace fakes::sandbox_proxy
