// proxy_session::intercept: the CONNECT path of connect_mode::intercept. The proxy answers the
// CONNECT, then terminates the client's TLS with a leaf certificate from its own CA, reads each
// HTTPS request in clear, injects the provider key as for plain HTTP, logs it as
// `METHOD https://host/path`, and sends it upstream over a new TLS connection.
// Bodies are relayed whole (not streamed): enough for API calls, not for SSE timing.

#include "proxy_session.hpp"

#include "network_log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

namespace fakes::sandbox_proxy {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

std::string
https_url(const std::string& host, unsigned port, std::string_view target)
{
    // Same authority spelling as the CONNECT entry (connect_url), then the request's path.
    auto base = network_log::connect_url(host, port);
    base.pop_back(); // the "/" that stands for the path
    return base + std::string(target.empty() ? "/" : target);
}

std::string
address_text(const tcp::endpoint& ep)
{
    auto a = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

bool
is_ip_literal(const std::string& host)
{
    boost::system::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

} // namespace

net::awaitable<void>
proxy_session::intercept(const upstream_request_head& head, const verdict& v)
{
    auto leaf = state_.ca()->leaf_for(head.host);
    ssl::context down_ctx(ssl::context::tls_server);
    boost::system::error_code ec;
    down_ctx.use_certificate_chain(net::buffer(leaf.cert), ec);
    if(!ec)
        down_ctx.use_private_key(net::buffer(leaf.key), ssl::context::pem, ec);
    if(ec)
    {
        close_upstream();
        co_return;
    }
    ssl::stream<tcp::socket&> down(client_, down_ctx);
    if(auto [hec] = co_await down.async_handshake(ssl::stream_base::server, use_tuple); hec)
    {
        // The client does not trust our CA (or is not speaking TLS): nothing to relay.
        closed_by_ = "client";
        close_upstream();
        co_return;
    }

    // The fake's upstreams are local fakes with their own certificates: no verification.
    ssl::context up_ctx(ssl::context::tls_client);
    up_ctx.set_verify_mode(ssl::verify_none);
    ssl::stream<tcp::socket&> up(upstream_->socket, up_ctx);
    if(!is_ip_literal(head.host))
        SSL_set_tlsext_host_name(up.native_handle(), head.host.c_str());
    if(auto [uec] = co_await up.async_handshake(ssl::stream_base::client, use_tuple); uec)
    {
        close_upstream();
        co_return;
    }

    beast::flat_buffer down_buf;
    beast::flat_buffer up_buf;
    std::size_t sequence = 0;
    for(;;)
    {
        http::request<http::string_body> req;
        if(auto [rec_ec, n] = co_await http::async_read(down, down_buf, req, use_tuple); rec_ec)
            break;
        recorded_request rec;
        rec.connection = id_;
        rec.sequence = ++sequence;
        rec.received_at = std::chrono::steady_clock::now();
        rec.method = std::string(req.method_string());
        rec.target = https_url(head.host, head.port, req.target());
        rec.version = req.version();
        for(auto const& f : req)
            rec.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        rec.body_size = req.body().size();
        rec.allowed = true;
        rec.reason = to_string(v.reason);
        rec.rule = v.rule;

        // The same injection as for plain HTTP: the sandbox's key is replaced by the proxy's.
        header_list fields = rec.headers;
        if(auto provider = state_.keys().inject(v.host, fields))
        {
            rec.injected = *provider;
            req.base().clear();
            for(auto const& [name, value] : fields)
                req.insert(name, value);
        }
        rec.upstream_target = std::string(req.target());
        for(auto const& f : req)
            rec.upstream_headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        rec.upstream_body_size = req.body().size();
        auto const index = state_.add_request(rec);

        network_log_entry e;
        e.timestamp = std::chrono::system_clock::now();
        e.method = rec.method;
        e.url = rec.target;
        e.allowed = true;
        e.reason = rec.reason;
        e.rule = rec.rule;
        e.address = address_text(upstream_->endpoint);
        state_.log(std::move(e));

        bool const keep = req.keep_alive();
        if(auto [wec, wn] = co_await http::async_write(up, req, use_tuple); wec)
        {
            rec.error = "upstream write: " + wec.message();
            state_.update_request(index, rec);
            break;
        }
        rec.forwarded = true;
        http::response<http::string_body> res;
        if(auto [rec2, n2] = co_await http::async_read(up, up_buf, res, use_tuple); rec2)
        {
            rec.error = "upstream read: " + rec2.message();
            state_.update_request(index, rec);
            break;
        }
        rec.status = res.result_int();
        rec.response_body_bytes = res.body().size();
        auto const [w2, n3] = co_await http::async_write(down, res, use_tuple);
        rec.complete = !w2;
        state_.update_request(index, rec);
        if(w2 || !keep || !res.keep_alive())
            break;
    }
    close_upstream();
}

} // namespace fakes::sandbox_proxy
