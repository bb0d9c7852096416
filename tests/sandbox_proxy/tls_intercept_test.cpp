// CONNECT interception: the fake proxy terminates TLS with its own CA, injects the provider key
// into each HTTPS request, logs `METHOD https://host/path`, and re-encrypts upstream
// (docs/reference/proxy-denials.md §4). The client verifies the proxy's certificate against the
// CA the proxy exposes; the upstream is a TLS server in this file (Asio SSL, Beast parsing).

#include "sandbox_proxy/fake_sandbox_proxy.hpp"
#include "sandbox_proxy/mitm_ca.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace fakes::sandbox_proxy {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

/// A TLS origin server on 127.0.0.1: answers every request with 200 `{"ok":true}` and records
/// the request heads it saw. One connection at a time; stops when destroyed.
class tls_upstream
{
public:
    tls_upstream()
    {
        auto leaf = ca_.leaf_for("api.openai.com");
        ctx_.use_certificate_chain(net::buffer(leaf.cert));
        ctx_.use_private_key(net::buffer(leaf.key), ssl::context::pem);
        acceptor_.open(tcp::v4());
        acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        thread_ = std::thread([this] { serve(); });
    }
    ~tls_upstream()
    {
        // A blocking accept() does not notice a close from another thread: wake it.
        stopping_ = true;
        boost::system::error_code ec;
        tcp::socket wake(io_);
        wake.connect({net::ip::make_address("127.0.0.1"), port()}, ec);
        thread_.join();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::vector<http::request<http::string_body>> requests()
    {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    void serve()
    {
        for(;;)
        {
            tcp::socket s(io_);
            boost::system::error_code ec;
            acceptor_.accept(s, ec);
            if(ec || stopping_)
                return;
            ssl::stream<tcp::socket> tls(std::move(s), ctx_);
            tls.handshake(ssl::stream_base::server, ec);
            boost::beast::flat_buffer buf;
            while(!ec)
            {
                http::request<http::string_body> req;
                http::read(tls, buf, req, ec);
                if(ec)
                    break;
                {
                    std::lock_guard lock(mutex_);
                    requests_.push_back(req);
                }
                http::response<http::string_body> res{http::status::ok, 11};
                res.set(http::field::content_type, "application/json");
                res.body() = R"({"ok":true})";
                res.prepare_payload();
                res.keep_alive(req.keep_alive());
                http::write(tls, res, ec);
            }
        }
    }

    mitm_ca ca_; // the origin's own certificate: the proxy does not verify it (a local fake)
    net::io_context io_;
    ssl::context ctx_{ssl::context::tls_server};
    tcp::acceptor acceptor_{io_};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<http::request<http::string_body>> requests_;
};

proxy_options
intercepting(std::uint16_t upstream_port)
{
    proxy_options o;
    o.port = 0;
    o.use_environment = false;
    o.credentials = {{"OPENAI_API_KEY", "sk-proxy-real"}};
    o.resolve = {"api.openai.com=127.0.0.1:" + std::to_string(upstream_port)};
    return o;
}

/// CONNECT through the proxy; returns the socket after `200 Connection established`.
tcp::socket
connect_through(net::io_context& io, std::uint16_t proxy_port, const std::string& authority)
{
    tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), proxy_port});
    net::write(s, net::buffer("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n"));
    net::streambuf head;
    net::read_until(s, head, "\r\n\r\n");
    std::string text(net::buffers_begin(head.data()), net::buffers_end(head.data()));
    EXPECT_TRUE(text.starts_with("HTTP/1.1 200 Connection established\r\n")) << text;
    return s;
}

http::response<http::string_body>
get_models(ssl::stream<tcp::socket&>& tls, boost::beast::flat_buffer& buf)
{
    http::request<http::string_body> req{http::verb::get, "/v1/models", 11};
    req.set(http::field::host, "api.openai.com");
    req.set(http::field::authorization, "Bearer sk-sandbox-placeholder");
    http::write(tls, req);
    http::response<http::string_body> res;
    http::read(tls, buf, res);
    return res;
}

TEST(sandbox_proxy_intercept, https_requests_are_decrypted_injected_logged_and_reencrypted)
{
    tls_upstream origin;
    fake_sandbox_proxy proxy(intercepting(origin.port()));
    proxy.start();
    ASSERT_NE(proxy.ca_cert_pem().find("BEGIN CERTIFICATE"), std::string::npos);

    net::io_context io;
    auto sock = connect_through(io, proxy.port(), "api.openai.com:443");
    // The client trusts only the proxy's CA and checks the name, as a sandbox would.
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(proxy.ca_cert_pem()));
    ctx.set_verify_mode(ssl::verify_peer);
    ssl::stream<tcp::socket&> tls(sock, ctx);
    tls.set_verify_callback(ssl::host_name_verification("api.openai.com"));
    SSL_set_tlsext_host_name(tls.native_handle(), "api.openai.com");
    tls.handshake(ssl::stream_base::client);

    boost::beast::flat_buffer buf;
    for(int i = 0; i < 2; ++i) // keep-alive inside the tunnel
    {
        auto res = get_models(tls, buf);
        EXPECT_EQ(res.result_int(), 200u);
        EXPECT_EQ(res.body(), R"({"ok":true})");
    }
    auto const seen = origin.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0][http::field::authorization], "Bearer sk-proxy-real") << "the proxy's key replaces the sandbox's";
    EXPECT_EQ(seen[0].target(), "/v1/models");

    ASSERT_TRUE(proxy.wait_for_log_entries(3, 5s));
    auto const log = proxy.network_log();
    EXPECT_EQ(log[0].method, "CONNECT");
    EXPECT_EQ(log[0].url, "https://api.openai.com/");
    EXPECT_EQ(log[1].method, "GET");
    EXPECT_EQ(log[1].url, "https://api.openai.com/v1/models");
    EXPECT_TRUE(log[1].allowed);
    EXPECT_EQ(network_log::text_line(log[1]).substr(20), " sandbox=sandbox request GET https://api.openai.com/v1/models allowed");
    bool injected = false;
    for(auto const& r : proxy.requests())
        injected = injected || (r.target == "https://api.openai.com/v1/models" && r.injected == "openai");
    EXPECT_TRUE(injected);
}

TEST(sandbox_proxy_intercept, a_client_that_does_not_trust_the_ca_gets_no_session)
{
    tls_upstream origin;
    fake_sandbox_proxy proxy(intercepting(origin.port()));
    proxy.start();
    net::io_context io;
    auto sock = connect_through(io, proxy.port(), "api.openai.com:443");
    mitm_ca other;
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(other.cert_pem()));
    ctx.set_verify_mode(ssl::verify_peer);
    ssl::stream<tcp::socket&> tls(sock, ctx);
    boost::system::error_code ec;
    tls.handshake(ssl::stream_base::client, ec);
    EXPECT_TRUE(ec) << "the leaf is signed by the proxy's CA only";
    EXPECT_TRUE(origin.requests().empty());
}

TEST(sandbox_proxy_intercept, tunnel_mode_passes_the_origin_certificate_through)
{
    tls_upstream origin;
    auto o = intercepting(origin.port());
    o.connect = connect_mode::tunnel;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    EXPECT_EQ(proxy.ca_cert_pem(), "");
    net::io_context io;
    auto sock = connect_through(io, proxy.port(), "api.openai.com:443");
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_none);
    ssl::stream<tcp::socket&> tls(sock, ctx);
    tls.handshake(ssl::stream_base::client);
    boost::beast::flat_buffer buf;
    EXPECT_EQ(get_models(tls, buf).result_int(), 200u);
    auto const seen = origin.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0][http::field::authorization], "Bearer sk-sandbox-placeholder") << "raw bytes: nothing injected";
}

} // namespace
} // namespace fakes::sandbox_proxy
