// Large request bodies through the fake sandbox proxy on loopback: a 100 MB upload (the bench's
// up_big) must arrive whole and in order at the upstream, as a stream with bounded memory, for
// Content-Length and chunked bodies; a denied large upload still gets its denial on a
// connection that stays usable. The upstream here counts and checks bytes instead of keeping
// them (tests/support's scripted_upstream records everything, which would hide the memory).
#include "sandbox_proxy/fake_sandbox_proxy.hpp"

#include "raw_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <gtest/gtest.h>

#include <array>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace fakes::sandbox_proxy {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using mrb::test::raw_client;

constexpr std::uint64_t hundred_mb = 100ull * 1024 * 1024; // the bench's up_big size
constexpr std::uint64_t old_limit = 64ull * 1024 * 1024;   // the proxy's former body buffer

/// The body byte at an absolute offset: position-dependent, so a lost, repeated or reordered
/// piece shows up as a mismatch.
char
pattern_at(std::uint64_t offset)
{
    return static_cast<char>(offset % 251);
}

/// One upload as the upstream saw it.
struct seen_upload
{
    std::string content_length;     // as received, empty if absent
    std::string transfer_encoding;  // as received, empty if absent
    std::uint64_t bytes = 0;        // decoded body bytes
    std::optional<std::uint64_t> first_mismatch;
    bool complete = false;
};

/// An upstream on 127.0.0.1:0 that reads request bodies in 64 KiB pieces, checks them against
/// pattern_at and answers 200 with the byte count. Keeps nothing of the body. With
/// `reject_early` it answers 413 right after the head, like a server with a body limit, then
/// reads and drops what still comes until the peer closes (a lingering close).
class counting_upstream
{
public:
    explicit counting_upstream(bool reject_early = false)
        : reject_early_(reject_early)
        , acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0})
    {
        net::co_spawn(ioc_, accept_loop(), net::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~counting_upstream()
    {
        ioc_.stop();
        thread_.join();
    }

    std::uint16_t
    port() const
    {
        return acceptor_.local_endpoint().port();
    }

    testing::AssertionResult
    wait_for_uploads(std::size_t n, std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(mutex_);
        if(cv_.wait_for(lock, timeout, [&] { return uploads_.size() >= n; }))
            return testing::AssertionSuccess();
        return testing::AssertionFailure() << "upstream saw " << uploads_.size() << " of " << n
                                           << " uploads";
    }

    std::vector<seen_upload>
    uploads() const
    {
        std::lock_guard lock(mutex_);
        return uploads_;
    }

private:
    net::awaitable<void>
    accept_loop()
    {
        for(;;)
        {
            auto [ec, s] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
            if(ec)
                co_return;
            net::co_spawn(ioc_, serve(std::move(s)), net::detached);
        }
    }

    net::awaitable<void>
    serve(net::ip::tcp::socket s)
    {
        constexpr auto tuple = net::as_tuple(net::use_awaitable);
        beast::flat_buffer buffer;
        buffer.reserve(64 * 1024); // Beast reads at most the free capacity
        std::array<char, 64 * 1024> data;
        for(;;)
        {
            http::request_parser<http::buffer_body> p;
            p.body_limit(boost::none);
            auto [hec, hn] = co_await http::async_read_header(s, buffer, p, tuple);
            if(hec)
                co_return;
            seen_upload u;
            u.content_length = std::string(p.get()[http::field::content_length]);
            u.transfer_encoding = std::string(p.get()[http::field::transfer_encoding]);
            if(reject_early_)
            {
                std::string const reply = "HTTP/1.1 413 Request Entity Too Large\r\n"
                    "Content-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
                    "too large\n";
                auto [wec, wn] = co_await net::async_write(s, net::buffer(reply), tuple);
                boost::system::error_code ignored;
                s.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
                for(;;)
                {
                    auto [ec, n] = co_await s.async_read_some(net::buffer(data), tuple);
                    u.bytes += n;
                    if(ec)
                        break;
                }
                std::lock_guard lock(mutex_);
                uploads_.push_back(u);
                cv_.notify_all();
                co_return;
            }
            while(!p.is_done())
            {
                p.get().body().data = data.data();
                p.get().body().size = data.size();
                auto [ec, n] = co_await http::async_read(s, buffer, p, tuple);
                if(ec == http::error::need_buffer)
                    ec = {};
                auto const got = data.size() - p.get().body().size;
                for(std::size_t i = 0; i < got && !u.first_mismatch; ++i)
                    if(data[i] != pattern_at(u.bytes + i))
                        u.first_mismatch = u.bytes + i;
                u.bytes += got;
                if(ec)
                    break;
            }
            u.complete = p.is_done();
            auto const body = std::to_string(u.bytes);
            {
                std::lock_guard lock(mutex_);
                uploads_.push_back(u);
            }
            cv_.notify_all();
            if(!u.complete)
                co_return;
            std::string const reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
            auto [wec, wn] = co_await net::async_write(s, net::buffer(reply), tuple);
            if(wec)
                co_return;
        }
    }

    bool reject_early_ = false;
    net::io_context ioc_;
    net::ip::tcp::acceptor acceptor_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<seen_upload> uploads_;
};

/// A kB figure from /proc/self/status ("VmRSS", "VmHWM").
std::uint64_t
status_kib(const std::string& field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while(std::getline(in, line))
        if(line.rfind(field + ":", 0) == 0)
        {
            std::istringstream fields(line.substr(field.size() + 1));
            std::uint64_t kib = 0;
            fields >> kib;
            return kib;
        }
    return 0;
}

/// Resets VmHWM to the current RSS (Linux >= 4.0), so the peak of one upload can be read.
bool
reset_peak_rss()
{
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

/// The peak RSS since reset_peak_rss() exceeds `rss_before` by less than `limit_kib`; the
/// growth is recorded as a test property (visible with --gtest_output=xml).
void
expect_peak_growth_below(std::uint64_t rss_before, std::uint64_t limit_kib)
{
    auto const peak = status_kib("VmHWM");
    auto const growth = peak > rss_before ? peak - rss_before : 0;
    testing::Test::RecordProperty("peak_rss_growth_kib", std::to_string(growth));
    EXPECT_LT(growth, limit_kib) << "peak RSS grew by " << growth << " KiB";
}

proxy_options
allow_localhost()
{
    proxy_options o;
    o.port = 0;
    o.use_environment = false;
    o.policy.allow_hosts = {"localhost"};
    return o;
}

/// The pattern from `offset` on, `size` bytes; pieces come from one buffer (period 251).
class pattern_source
{
public:
    pattern_source()
        : bytes_(piece + 251, '\0')
    {
        for(std::size_t i = 0; i < bytes_.size(); ++i)
            bytes_[i] = pattern_at(i);
    }

    std::string_view
    at(std::uint64_t offset, std::size_t size) const
    {
        return std::string_view(bytes_).substr(static_cast<std::size_t>(offset % 251), size);
    }

    static constexpr std::size_t piece = 1024 * 1024;

private:
    std::string bytes_;
};

/// Sends `total` pattern bytes in 1 MiB pieces, chunk-framed if `chunked`. False if a send
/// failed (the connection was dropped: the old bug).
bool
send_body(raw_client& c, std::uint64_t total, bool chunked)
{
    pattern_source src;
    for(std::uint64_t off = 0; off < total; off += pattern_source::piece)
    {
        auto const n = static_cast<std::size_t>(std::min<std::uint64_t>(pattern_source::piece,
            total - off));
        if(chunked)
        {
            std::ostringstream size;
            size << std::hex << n << "\r\n";
            if(!c.send(size.str()))
                return false;
        }
        if(!c.send(src.at(off, n)))
            return false;
        if(chunked && !c.send("\r\n"))
            return false;
    }
    return !chunked || c.send("0\r\n\r\n");
}

std::string
post_head(std::uint16_t upstream, const std::string& framing)
{
    auto const a = "localhost:" + std::to_string(upstream);
    return "POST http://" + a + "/upload HTTP/1.1\r\nHost: " + a +
        "\r\nContent-Type: application/octet-stream\r\n" + framing + "\r\n";
}

// Failed before the streaming fix: the proxy buffered bodies up to 64 MiB and answered 413
// plus a close, so the client's writes hit a broken pipe.
TEST(sandbox_proxy_large_body, content_length_100mb_is_streamed_whole_with_bounded_memory)
{
    counting_upstream up;
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    auto const rss_before = status_kib("VmRSS");
    bool const peak_reset = reset_peak_rss();

    ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: " + std::to_string(hundred_mb) +
        "\r\n")));
    ASSERT_TRUE(send_body(c, hundred_mb, false)) << "the proxy dropped the upload";
    auto r = c.read_response(20s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(hundred_mb));

    ASSERT_TRUE(up.wait_for_uploads(1, 5s));
    auto const u = up.uploads().at(0);
    EXPECT_TRUE(u.complete);
    EXPECT_EQ(u.bytes, hundred_mb);
    EXPECT_FALSE(u.first_mismatch) << "first wrong byte at " << *u.first_mismatch;
    // The client's length goes upstream as it is: the body is not re-framed.
    EXPECT_EQ(u.content_length, std::to_string(hundred_mb));
    EXPECT_EQ(u.transfer_encoding, "");

    ASSERT_TRUE(proxy.wait_for_completed_requests(1, 5s));
    auto const rec = proxy.requests().at(0);
    EXPECT_EQ(rec.body_size, hundred_mb);
    EXPECT_EQ(rec.upstream_body_size, hundred_mb);
    EXPECT_EQ(rec.status, 200u);

    // Client, proxy and upstream share this process; none keeps the body, so the peak stays
    // far below the 100 MB that buffering would add.
    if(peak_reset)
        expect_peak_growth_below(rss_before, 32 * 1024);

    // The connection is still usable after the upload.
    ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: 5\r\n") + std::string(
        pattern_source().at(0, 5))));
    auto r2 = c.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "5");
}

TEST(sandbox_proxy_large_body, chunked_body_over_the_old_limit_is_streamed_as_chunked)
{
    counting_upstream up;
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    std::uint64_t const size = old_limit + 8 * 1024 * 1024 + 123;
    auto const rss_before = status_kib("VmRSS");
    bool const peak_reset = reset_peak_rss();

    ASSERT_TRUE(c.send(post_head(up.port(), "Transfer-Encoding: chunked\r\n")));
    ASSERT_TRUE(send_body(c, size, true)) << "the proxy dropped the upload";
    auto r = c.read_response(20s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(size));

    ASSERT_TRUE(up.wait_for_uploads(1, 5s));
    auto const u = up.uploads().at(0);
    EXPECT_TRUE(u.complete);
    EXPECT_EQ(u.bytes, size);
    EXPECT_FALSE(u.first_mismatch) << "first wrong byte at " << *u.first_mismatch;
    // A length the proxy does not know yet goes upstream chunked, as Go's transport sends it.
    EXPECT_EQ(u.transfer_encoding, "chunked");
    EXPECT_EQ(u.content_length, "");

    ASSERT_TRUE(proxy.wait_for_completed_requests(1, 5s));
    EXPECT_EQ(proxy.requests().at(0).body_size, size);
    EXPECT_EQ(proxy.requests().at(0).upstream_body_size, size);
    if(peak_reset)
        expect_peak_growth_below(rss_before, 32 * 1024);
}

TEST(sandbox_proxy_large_body, denied_large_upload_gets_the_denial_and_keeps_the_connection)
{
    counting_upstream up;
    proxy_options o = allow_localhost();
    o.policy.allow_hosts.clear(); // the default rules block 127.0.0.0/8
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    std::uint64_t const size = 4 * 1024 * 1024;
    ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: " + std::to_string(size) + "\r\n")));
    ASSERT_TRUE(send_body(c, size, false));
    auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_FALSE(r->closed);
    // The rest of the body was read and dropped, so the next request parses cleanly.
    ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: 0\r\n")));
    auto r2 = c.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 403);
    ASSERT_TRUE(proxy.wait_for_completed_requests(2, 5s));
    EXPECT_EQ(proxy.requests().at(0).body_size, size);
    EXPECT_FALSE(proxy.requests().at(0).forwarded);
    EXPECT_TRUE(up.uploads().empty());
}

TEST(sandbox_proxy_large_body, client_leaving_a_denied_upload_mid_body_is_recorded)
{
    counting_upstream up;
    proxy_options o = allow_localhost();
    o.policy.allow_hosts.clear();
    fake_sandbox_proxy proxy(o);
    proxy.start();
    std::uint64_t const sent = 1024 * 1024;
    {
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: " +
            std::to_string(hundred_mb) + "\r\n")));
        ASSERT_TRUE(send_body(c, sent, false));
        c.close();
    }
    ASSERT_TRUE(proxy.wait_for_completed_requests(1, 5s));
    auto const rec = proxy.requests().at(0);
    EXPECT_EQ(rec.error, "client disconnected during the request body");
    EXPECT_EQ(rec.body_size, sent);
    EXPECT_EQ(rec.status, 0u);
    EXPECT_FALSE(rec.forwarded);
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, 5s));
    EXPECT_EQ(proxy.connections().at(0).closed_by, "client");
}

TEST(sandbox_proxy_large_body, client_leaving_mid_upload_aborts_the_upstream_request)
{
    counting_upstream up;
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    std::uint64_t const sent = 2 * 1024 * 1024;
    {
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: " +
            std::to_string(hundred_mb) + "\r\n")));
        ASSERT_TRUE(send_body(c, sent, false));
        c.close();
    }
    // The upstream sees its request end short, instead of waiting for bytes that never come.
    ASSERT_TRUE(up.wait_for_uploads(1, 5s));
    auto const u = up.uploads().at(0);
    EXPECT_FALSE(u.complete);
    EXPECT_LE(u.bytes, sent);
    EXPECT_FALSE(u.first_mismatch);
    ASSERT_TRUE(proxy.wait_for_completed_requests(1, 5s));
    auto const rec = proxy.requests().at(0);
    EXPECT_EQ(rec.error, "client disconnected during the request body");
    EXPECT_EQ(rec.status, 0u);
    EXPECT_EQ(rec.body_size, sent);
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, 5s));
    EXPECT_EQ(proxy.connections().at(0).closed_by, "client");
}

TEST(sandbox_proxy_large_body, an_upstream_answer_before_the_whole_body_reaches_the_client)
{
    counting_upstream up(true);
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: " + std::to_string(hundred_mb) +
        "\r\n")));
    // Once the upstream has answered, the proxy relays the answer, stops sending and drops
    // what the client still sends for a short while, then closes: the client's writes may
    // fail, but the answer is there to read.
    send_body(c, hundred_mb, false);
    auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->body, "too large\n");
    EXPECT_EQ(r->head.get("Connection"), "close");
    EXPECT_TRUE(c.wait_closed(5s));
    ASSERT_TRUE(proxy.wait_for_completed_requests(1, 5s));
    auto const rec = proxy.requests().at(0);
    EXPECT_EQ(rec.status, 413u);
    EXPECT_LT(rec.body_size, hundred_mb);
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, 5s));
    EXPECT_EQ(proxy.connections().at(0).closed_by, "proxy");
}

TEST(sandbox_proxy_large_body, max_request_body_option_answers_413)
{
    counting_upstream up;
    proxy_options o = allow_localhost();
    o.max_request_body = 1024 * 1024;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    {
        // A declared length over the limit is refused before anything goes upstream.
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: 2097152\r\n")));
        auto r = c.read_response(5s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
        EXPECT_TRUE(c.wait_closed(5s));
    }
    {
        // A chunked body is refused when it crosses the limit; the upstream request is cut.
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(post_head(up.port(), "Transfer-Encoding: chunked\r\n")));
        send_body(c, 2 * 1024 * 1024, true); // may fail once the proxy has answered
        auto r = c.read_response(5s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
        EXPECT_TRUE(c.wait_closed(5s));
        ASSERT_TRUE(up.wait_for_uploads(1, 5s));
        EXPECT_FALSE(up.uploads().at(0).complete);
        EXPECT_LE(up.uploads().at(0).bytes, 1024u * 1024);
    }
    {
        // Under the limit all is as usual.
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(post_head(up.port(), "Content-Length: 1048576\r\n")));
        ASSERT_TRUE(send_body(c, 1024 * 1024, false));
        auto r = c.read_response(5s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, "1048576");
    }
}

} // namespace
} // namespace fakes::sandbox_proxy
