#include "admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace mrb {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::optional<admin_answer> admin_get(const std::string& host, std::uint16_t port, const std::string& path,
                                      std::chrono::milliseconds timeout, std::string& error)
{
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    boost::system::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if(ec)
    {
        error = "'" + host + "' is not an IP address";
        return std::nullopt;
    }
    std::optional<admin_answer> answer;
    stream.expires_after(timeout);
    stream.async_connect(tcp::endpoint(address, port), [&](beast::error_code e) { ec = e; });
    ioc.run();
    if(ec)
    {
        error = "no admin listener at " + host + ":" + std::to_string(port) + " (" + ec.message() + ")";
        return std::nullopt;
    }
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, host + ":" + std::to_string(port));
    req.set(http::field::connection, "close");
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    stream.expires_after(timeout);
    http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
        if(e)
        {
            ec = e;
            return;
        }
        http::async_read(stream, buffer, res, [&](beast::error_code e2, std::size_t) { ec = e2; });
    });
    ioc.restart();
    ioc.run();
    if(ec)
    {
        error = "the admin listener at " + host + ":" + std::to_string(port) + " did not answer (" + ec.message() + ")";
        return std::nullopt;
    }
    return admin_answer{res.result_int(), std::move(res.body())};
}

} // namespace mrb
