// The fake sandbox proxy on loopback: forwarding, policy, deny replies, credentials, network
// log, streaming and every fault. Upstreams are tests/support's scripted servers (POSIX
// sockets, no Beast), clients are raw sockets or curl.
#include "sandbox_proxy/fake_sandbox_proxy.hpp"

#include "http_kit/wait_until.hpp"

#include "loopback_port.hpp"
#include "raw_client.hpp"
#include "scripted_upstream.hpp"
#include "tcp_segments.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fakes::sandbox_proxy {
namespace {

using namespace std::chrono_literals;
using mrb::test::raw_client;
using mrb::test::scripted_upstream;
namespace step = mrb::test::step;

constexpr auto wait = 5s;

std::string
ok_response(std::string body = "ok")
{
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
}

proxy_options
base_options()
{
    proxy_options o;
    o.port = 0;
    o.use_environment = false; // tests never depend on the caller's environment
    return o;
}

proxy_options
allow_localhost()
{
    auto o = base_options();
    o.policy.allow_hosts = {"localhost"};
    return o;
}

std::string
get(const std::string& authority, const std::string& path = "/models",
    const std::string& extra = "")
{
    return "GET http://" + authority + path + " HTTP/1.1\r\nHost: " + authority + "\r\n" + extra +
        "\r\n";
}

std::string
local(std::uint16_t port)
{
    return "localhost:" + std::to_string(port);
}

TEST(sandbox_proxy_forwarding, absolute_form_goes_upstream_in_origin_form)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response()), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    auto const a = local(up.port());
    ASSERT_TRUE(c.send("GET http://" + a + "/models?x=1 HTTP/1.1\r\nHost: " + a +
        "\r\nUser-Agent: t\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive, X-Hop\r\n"
        "X-Hop: 1\r\nAccept: */*\r\n\r\n"));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    EXPECT_EQ(up.requests()[0],
        "GET /models?x=1 HTTP/1.1\r\nHost: " + a + "\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n");

    ASSERT_TRUE(proxy.wait_for_completed_requests(1, wait));
    auto rec = proxy.requests().at(0);
    EXPECT_EQ(rec.method, "GET");
    EXPECT_EQ(rec.target, "http://" + a + "/models?x=1");
    ASSERT_EQ(rec.headers.size(), 6u);
    EXPECT_EQ(rec.headers[3].first, "Connection"); // as received, in order
    EXPECT_TRUE(rec.allowed);
    EXPECT_EQ(rec.reason, "allow_rule");
    EXPECT_EQ(rec.address, "127.0.0.1:" + std::to_string(up.port()));
    EXPECT_TRUE(rec.forwarded);
    EXPECT_EQ(rec.upstream_target, "/models?x=1");
    EXPECT_EQ(rec.upstream_headers,
        (header_list{{"Host", a}, {"User-Agent", "t"}, {"Accept", "*/*"}}));
    EXPECT_EQ(rec.status, 200u);
    EXPECT_EQ(rec.response_body_bytes, 2u);
}

TEST(sandbox_proxy_forwarding, recorders_are_bounded)
{
    scripted_upstream up({});
    auto o = base_options();
    o.record_limit = 4;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    for(int i = 0; i < 10; ++i)
    {
        ASSERT_TRUE(c.send(get(local(up.port()), "/" + std::to_string(i))));
        ASSERT_TRUE(c.read_response(wait));
    }
    auto const reqs = proxy.requests();
    ASSERT_LE(reqs.size(), 4u);
    ASSERT_FALSE(reqs.empty());
    EXPECT_EQ(reqs.back().target, "http://" + local(up.port()) + "/9");
    EXPECT_TRUE(reqs.back().complete);
    EXPECT_LE(proxy.network_log().size(), 4u);
    EXPECT_EQ(proxy.connections().at(0).requests, 10u);
}

TEST(sandbox_proxy_forwarding, request_body_and_differing_host)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response()), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    auto const a = local(up.port());
    // Chunked request body; a Host naming another server is ignored (RFC 9112 §3.2.2).
    ASSERT_TRUE(c.send("POST http://" + a + "/engines/v1/chat/completions HTTP/1.1\r\n"
        "Host: evil.example\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n"));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    EXPECT_EQ(up.requests()[0], "POST /engines/v1/chat/completions HTTP/1.1\r\nHost: " + a +
        "\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    ASSERT_TRUE(proxy.wait_for_completed_requests(1, wait));
    EXPECT_TRUE(proxy.requests()[0].host_replaced);
    EXPECT_EQ(proxy.requests()[0].body_size, 7u);
    EXPECT_EQ(proxy.requests()[0].upstream_body_size, 7u);
}

TEST(sandbox_proxy_forwarding, bodies_over_dmr_limit_reach_the_upstream)
{
    // DMR answers 400 "request too large" itself; the proxy must not pre-empt it.
    scripted_upstream up({{step::read_request(), step::send(ok_response()), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    std::string const body(11 * 1024 * 1024, 'x');
    auto const a = local(up.port());
    ASSERT_TRUE(c.send("POST http://" + a + "/engines/v1/chat/completions HTTP/1.1\r\nHost: " + a +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
    auto r = c.read_response(20s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(proxy.wait_for_completed_requests(1, wait));
    EXPECT_EQ(proxy.requests()[0].upstream_body_size, body.size());
}

TEST(sandbox_proxy_forwarding, keep_alive_on_both_sides)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response("one")),
        step::read_request(), step::send(ok_response("two")), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()), "/1")));
    auto r1 = c.read_response(wait);
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->body, "one");
    ASSERT_TRUE(c.send(get(local(up.port()), "/2")));
    auto r2 = c.read_response(wait);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "two");
    EXPECT_FALSE(r2->closed);
    EXPECT_EQ(up.connection_count(), 1u);
    EXPECT_EQ(proxy.connections().size(), 1u);
    ASSERT_TRUE(proxy.wait_for_completed_requests(2, wait));
    EXPECT_FALSE(proxy.requests()[0].upstream_reused);
    EXPECT_TRUE(proxy.requests()[1].upstream_reused);
}

// Issue 14: a body that arrived with its head goes to the client in the head's write. Written
// apart, the next hop (the bridge) woke, read and wrote twice per small response. Counted as TCP
// segments at the client (one per proxy write on loopback with TCP_NODELAY); before the fix the
// response came in two.
TEST(sandbox_proxy_forwarding, a_body_that_came_with_its_head_goes_out_in_the_same_write)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response(std::string(300, 'x'))),
        step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(proxy.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0}; // every read below waits at most 5 s
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    auto const before = testing::data_segments_in(fd);
    ASSERT_TRUE(before);
    std::string const request = get(local(up.port()));
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    std::string got;
    char buf[4096];
    while(got.find(std::string(300, 'x')) == std::string::npos)
    {
        auto const n = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << "the response did not arrive whole";
        got.append(buf, static_cast<std::size_t>(n));
    }
    auto const after = testing::data_segments_in(fd);
    ::close(fd);
    ASSERT_TRUE(after);
    EXPECT_EQ(*after - *before, 1u) << "the response head and its body came in separate writes";
}

TEST(sandbox_proxy_forwarding, sse_is_streamed_unbuffered)
{
    std::string const head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n";
    auto chunk = [](std::string s) {
        std::ostringstream o;
        o << std::hex << s.size() << "\r\n" << s << "\r\n";
        return o.str();
    };
    scripted_upstream up({{step::read_request(), step::send(head),
        step::send(chunk("data: {\"n\":1}\n\n")), step::gate(),
        step::send(chunk("data: {\"n\":2}\n\n")), step::gate(),
        step::send(chunk("data: [DONE]\n\n") + "0\r\n\r\n"), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()), "/engines/v1/chat/completions")));
    auto h = c.read_head(wait);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status(), 200);
    EXPECT_EQ(h->get("Content-Type"), "text/event-stream");
    // Each event arrives while the upstream is still holding back the next one.
    ASSERT_TRUE(c.read_body_until("data: {\"n\":1}\n\n", wait));
    up.release();
    ASSERT_TRUE(c.read_body_until("data: {\"n\":2}\n\n", wait));
    up.release();
    c.read_body(wait);
    EXPECT_TRUE(c.body_complete());
    EXPECT_EQ(c.body(), "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n");
}

TEST(sandbox_proxy_forwarding, close_delimited_upstream_is_rechunked)
{
    scripted_upstream up({{step::read_request(),
        step::send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                   "data: a\n\n"),
        step::close()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->complete);
    EXPECT_EQ(r->head.get("Transfer-Encoding"), "chunked");
    EXPECT_FALSE(r->head.has("Connection"));
    EXPECT_EQ(r->body, "data: a\n\n");
}

TEST(sandbox_proxy_forwarding, upstream_cut_mid_response_cuts_the_client)
{
    scripted_upstream up({{step::read_request(),
        step::send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"), step::reset()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->cut);
    EXPECT_EQ(r->body, "partial");
    ASSERT_TRUE(proxy.wait_for_completed_requests(1, wait));
    EXPECT_NE(proxy.requests()[0].error.find("mid-response"), std::string::npos);
}

// A client that leaves while the upstream has not answered yet (DMR loading a model) aborts
// the upstream request, as Squid and Go's httputil.ReverseProxy do: the upstream sees the close.
TEST(sandbox_proxy_forwarding, client_leaving_before_the_response_head_aborts_the_upstream)
{
    scripted_upstream up({{step::read_request(), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    c.close();
    EXPECT_TRUE(up.wait_for_client_close(0, 2s));
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, 2s));
    EXPECT_EQ(proxy.connections()[0].closed_by, "client");
    ASSERT_TRUE(proxy.wait_for_completed_requests(1, wait));
    EXPECT_EQ(proxy.requests()[0].status, 0u);
    EXPECT_NE(proxy.requests()[0].error.find("client"), std::string::npos);
}

// Bytes of a pipelined next request are not a disconnect: the first answer still arrives.
TEST(sandbox_proxy_forwarding, pipelined_bytes_while_waiting_are_not_an_abort)
{
    scripted_upstream up({{step::read_request(), step::delay(200ms), step::send(ok_response("one")),
        step::read_request(), step::send(ok_response("two")), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    ASSERT_TRUE(c.send(get(local(up.port()), "/second")));
    auto r1 = c.read_response(wait);
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->body, "one");
    auto r2 = c.read_response(wait);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "two");
}

TEST(sandbox_proxy_forwarding, refused_upstream_gets_a_502_text)
{
    auto const port = mrb::test::unused_loopback_port();
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(port))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    EXPECT_EQ(r->head.get("Content-Type"), "text/plain; charset=utf-8");
    // localhost tries 127.0.0.1 then ::1; the last dial error is reported.
    EXPECT_EQ(r->body, "dial tcp [::1]:" + std::to_string(port) + ": connect: connection refused\n");
    // The connection stays usable.
    ASSERT_TRUE(c.send(get(local(port))));
    ASSERT_TRUE(c.read_response(wait));
}

TEST(sandbox_proxy_forwarding, upstream_error_reply_is_a_switch)
{
    auto const port = mrb::test::unused_loopback_port();
    auto o = allow_localhost();
    o.upstream_error = {503, "application/json", R"({"error":"{error}"})"};
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get("127.0.0.1:" + std::to_string(port))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    // 127.0.0.1 is not allowed yet: denied by CIDR, the upstream error reply is not used.
    EXPECT_EQ(r->status, 403);
    o.policy.allow_hosts = {"127.0.0.1"};
    proxy.set_policy(o.policy);
    ASSERT_TRUE(c.send(get("127.0.0.1:" + std::to_string(port))));
    auto r2 = c.read_response(wait);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 503);
    EXPECT_EQ(r2->body, R"({"error":"dial tcp 127.0.0.1:)" + std::to_string(port) +
        R"(: connect: connection refused"})");
}

TEST(sandbox_proxy_forwarding, malformed_requests_get_400_and_close)
{
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    for(auto const* bad : {"GET /models HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET http://a/ HTTP/1.1\r\n\r\n",
            "GET https://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"})
    {
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(bad));
        auto r = c.read_response(wait);
        ASSERT_TRUE(r) << bad;
        EXPECT_EQ(r->status, 400) << bad;
        EXPECT_TRUE(c.wait_closed(wait)) << bad;
    }
}

//---------------------------------------------------------------------------------------------
// Policy through the wire

TEST(sandbox_proxy_policy, default_policy_denies_localhost_by_cidr)
{
    scripted_upstream up({});
    fake_sandbox_proxy proxy(base_options());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    auto const p = std::to_string(up.port());
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->body, "Blocked by network policy: domain localhost:" + p + "\n"
        "  detail: resolved address 127.0.0.1:" + p + " is in blocked range 127.0.0.0/8\n");
    EXPECT_EQ(up.connection_count(), 0u);
    ASSERT_TRUE(proxy.wait_for_log_entries(1, wait));
    auto e = proxy.network_log()[0];
    EXPECT_FALSE(e.allowed);
    EXPECT_EQ(e.url, "http://localhost:" + p + "/models");
    EXPECT_EQ(e.reason, "blocked_cidr");
}

TEST(sandbox_proxy_policy, a_closing_client_still_gets_the_denial)
{
    scripted_upstream up({});
    fake_sandbox_proxy proxy(base_options());
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()), "/models", "Connection: close\r\n")));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_TRUE(c.wait_closed(wait));
    raw_client old(proxy.port());
    ASSERT_TRUE(old.send("GET http://example.com/ HTTP/1.0\r\n\r\n"));
    auto r2 = old.read_response(wait);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 502); // allowed by default, then no such host
    EXPECT_EQ(r2->body, "dial tcp: lookup example.com: no such host\n");
    EXPECT_TRUE(old.wait_closed(wait));
}

TEST(sandbox_proxy_policy, go_500_deny_style)
{
    auto o = base_options();
    o.deny = deny_style::go_500;
    o.policy.mode = policy_mode::deny;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get("example.com")));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->head.get("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->body, "connection to example.com:80 blocked by network policy\n");
}

// A denial whose body names no policy: Go's http.Error with the status text.
TEST(sandbox_proxy_policy, other_500_deny_style_says_nothing_about_policy)
{
    auto o = base_options();
    o.deny = deny_style::other_500;
    o.policy.mode = policy_mode::deny;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get("example.com")));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->head.get("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r->head.get("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->body, "Internal Server Error\n");
    ASSERT_TRUE(proxy.wait_for_log_entries(1, wait));
    EXPECT_FALSE(proxy.network_log()[0].allowed);
}

// The silent shape: the request is read, logged as denied, and the connection just ends.
TEST(sandbox_proxy_policy, close_deny_style_answers_nothing)
{
    auto o = base_options();
    o.deny = deny_style::close;
    o.policy.mode = policy_mode::deny;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    for(const std::string req : {get("example.com"),
                                 std::string("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")})
    {
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(req));
        EXPECT_EQ(c.drain(4096, wait), 0u) << "no byte of an answer";
        EXPECT_TRUE(c.peer_closed());
    }
    ASSERT_TRUE(proxy.wait_for_log_entries(2, wait));
    EXPECT_FALSE(proxy.network_log()[0].allowed);
    EXPECT_FALSE(proxy.network_log()[1].allowed);
}

TEST(sandbox_proxy_policy, connect_denial_bytes)
{
    auto o = base_options();
    o.policy.mode = policy_mode::deny;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->body, "Blocked by network policy: domain example.com:443\n"
        "  detail: no matching allow rule - blocked by default deny policy\n");
    ASSERT_TRUE(proxy.wait_for_log_entries(1, wait));
    EXPECT_EQ(network_log::text_line(proxy.network_log()[0]).substr(20),
        " sandbox=sandbox request CONNECT https://example.com/ denied");
}

TEST(sandbox_proxy_policy, host_docker_internal_is_forwarded_as_localhost)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response()), step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    raw_client c(proxy.port());
    auto const hdi = "host.docker.internal:" + std::to_string(up.port());
    ASSERT_TRUE(c.send(get(hdi)));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    EXPECT_EQ(up.requests()[0], "GET /models HTTP/1.1\r\nHost: " + local(up.port()) + "\r\n\r\n");
}

// The legacy trap: localhost tried as ::1 first, and ::1/128 is blocked by default.
TEST(sandbox_proxy_policy, ipv6_first_localhost_trap)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response()), step::stall()}});
    auto o = base_options();
    o.policy.allow_hosts = {"host.docker.internal"}; // not an explicit allow after the rewrite
    o.policy.allow_cidrs = {"127.0.0.0/8"};
    o.localhost = localhost_order::ipv6_first;
    fake_sandbox_proxy trapped(o);
    trapped.start();
    auto const hdi = "host.docker.internal:" + std::to_string(up.port());
    {
        raw_client c(trapped.port());
        ASSERT_TRUE(c.send(get(hdi)));
        auto r = c.read_response(wait);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 403);
        EXPECT_NE(r->body.find("is in blocked range ::1/128"), std::string::npos) << r->body;
    }
    o.localhost = localhost_order::ipv4_first;
    fake_sandbox_proxy fine(o);
    fine.start();
    raw_client c(fine.port());
    ASSERT_TRUE(c.send(get(hdi)));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(sandbox_proxy_policy, set_policy_takes_effect_immediately)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response()), step::stall()});
    auto o = base_options();
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r1 = c.read_response(wait);
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->status, 403);
    o.policy.allow_hosts = {"localhost:" + std::to_string(up.port())};
    proxy.set_policy(o.policy);
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r2 = c.read_response(wait);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 200);
    EXPECT_THROW(proxy.set_policy(policy_rules{.allow_hosts = {"bad:port"}}), std::invalid_argument);
}

//---------------------------------------------------------------------------------------------
// Credentials

TEST(sandbox_proxy_credentials, provider_hosts_get_the_proxy_key_localhost_none)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response("{}")), step::stall()});
    auto o = base_options();
    o.resolve = {"api.openai.com=127.0.0.1:" + std::to_string(up.port()),
        "api.anthropic.com=127.0.0.1:" + std::to_string(up.port())};
    o.credentials = {{"OPENAI_API_KEY", "sk-test-openai-123"}, {"ANTHROPIC_API_KEY", "sk-ant-test-456"}};
    o.policy.allow_hosts = {"localhost"};
    fake_sandbox_proxy proxy(o);
    proxy.start();

    raw_client openai(proxy.port());
    ASSERT_TRUE(openai.send("POST http://api.openai.com/v1/chat/completions HTTP/1.1\r\n"
        "Host: api.openai.com\r\nAuthorization: Bearer proxy-managed\r\nContent-Length: 2\r\n\r\n{}"));
    auto r1 = openai.read_response(wait);
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->status, 200);

    raw_client anthropic(proxy.port());
    ASSERT_TRUE(anthropic.send("POST http://api.anthropic.com/v1/messages HTTP/1.1\r\n"
        "Host: api.anthropic.com\r\nx-api-key: sk-ant-oat01-proxy-managed\r\nContent-Length: 2\r\n\r\n{}"));
    auto r2 = anthropic.read_response(wait);
    ASSERT_TRUE(r2);

    raw_client dmr(proxy.port());
    ASSERT_TRUE(dmr.send(get(local(up.port()), "/engines/v1/models", "Authorization: Bearer not-needed\r\n")));
    auto r3 = dmr.read_response(wait);
    ASSERT_TRUE(r3);

    ASSERT_TRUE(up.wait_for_requests(3, wait));
    auto const seen = up.requests();
    auto find = [&](const std::string& needle) {
        for(auto const& s : seen)
            if(s.find(needle) != std::string::npos)
                return s;
        return std::string();
    };
    auto const to_openai = find("/v1/chat/completions");
    EXPECT_NE(to_openai.find("\r\nAuthorization: Bearer sk-test-openai-123\r\n"), std::string::npos) << to_openai;
    EXPECT_EQ(to_openai.find("proxy-managed"), std::string::npos) << to_openai;
    auto const to_anthropic = find("/v1/messages");
    EXPECT_NE(to_anthropic.find("\r\nx-api-key: sk-ant-test-456\r\n"), std::string::npos) << to_anthropic;
    EXPECT_EQ(to_anthropic.find("proxy-managed"), std::string::npos) << to_anthropic;
    auto const to_dmr = find("/engines/v1/models");
    EXPECT_NE(to_dmr.find("\r\nAuthorization: Bearer not-needed\r\n"), std::string::npos) << to_dmr;
    EXPECT_EQ(to_dmr.find("sk-"), std::string::npos) << to_dmr;

    // The sandbox never sees a key in what comes back.
    for(auto const* r : {&*r1, &*r2, &*r3})
    {
        for(auto const& [name, value] : r->head.fields)
            EXPECT_EQ(value.find("sk-test"), std::string::npos) << name;
        EXPECT_EQ(r->body.find("sk-"), std::string::npos);
    }
    ASSERT_TRUE(proxy.wait_for_completed_requests(3, wait));
    std::map<std::string, std::string> injected;
    for(auto const& rec : proxy.requests())
        injected[rec.target] = rec.injected;
    EXPECT_EQ(injected["http://api.openai.com/v1/chat/completions"], "openai");
    EXPECT_EQ(injected["http://api.anthropic.com/v1/messages"], "anthropic");
    EXPECT_EQ(injected["http://" + local(up.port()) + "/engines/v1/models"], "");
}

TEST(sandbox_proxy_credentials, bypassed_hosts_get_no_injection)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response()), step::stall()}});
    auto o = base_options();
    o.resolve = {"api.openai.com=127.0.0.1:" + std::to_string(up.port())};
    o.credentials = {{"OPENAI_API_KEY", "sk-test-openai-123"}};
    o.policy.bypass_hosts = {"api.openai.com"};
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get("api.openai.com", "/v1/models", "Authorization: Bearer proxy-managed\r\n")));
    ASSERT_TRUE(c.read_response(wait));
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    EXPECT_NE(up.requests()[0].find("Bearer proxy-managed"), std::string::npos);
}

//---------------------------------------------------------------------------------------------
// Network log

TEST(sandbox_proxy_network_log, text_and_json_files)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response()), step::stall()});
    auto const dir = std::filesystem::temp_directory_path() /
        ("fake-sandbox-proxy-log-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for(bool json : {false, true})
    {
        auto o = allow_localhost();
        o.sandbox_name = "openclaw";
        o.policy.block_hosts = {"blocked.example.com"};
        o.network_log_file = (dir / (json ? "log.json" : "log.txt")).string();
        o.network_log_json = json;
        fake_sandbox_proxy proxy(o);
        proxy.start();
        raw_client c(proxy.port());
        ASSERT_TRUE(c.send(get(local(up.port()))));
        ASSERT_TRUE(c.read_response(wait));
        ASSERT_TRUE(c.send(get("blocked.example.com", "/")));
        ASSERT_TRUE(c.read_response(wait));
        ASSERT_TRUE(proxy.wait_for_log_entries(2, wait));
        proxy.stop();
        std::ifstream in(o.network_log_file);
        std::stringstream ss;
        ss << in.rdbuf();
        auto const text = ss.str();
        if(!json)
        {
            std::vector<std::string> lines;
            std::string line;
            while(std::getline(ss, line))
                lines.push_back(line);
            ASSERT_EQ(lines.size(), 2u) << text;
            EXPECT_EQ(lines[0].substr(20), " sandbox=openclaw request GET http://" +
                local(up.port()) + "/models allowed");
            EXPECT_EQ(lines[1].substr(20),
                " sandbox=openclaw request GET http://blocked.example.com/ denied");
            EXPECT_EQ(lines[1][19], 'Z');
        }
        else
        {
            auto j = nlohmann::json::parse(text);
            ASSERT_EQ(j["entries"].size(), 2u);
            EXPECT_EQ(j["entries"][1]["action"], "denied");
            EXPECT_EQ(j["entries"][1]["url"], "http://blocked.example.com/");
            EXPECT_EQ(j["entries"][0]["sandbox"], "openclaw");
            EXPECT_EQ(j["entries"][0]["type"], "request");
            EXPECT_EQ(j["entries"][0]["method"], "GET");
        }
    }
    std::filesystem::remove_all(dir);
}

//---------------------------------------------------------------------------------------------
// CONNECT tunnels

TEST(sandbox_proxy_connect, allowed_tunnel_carries_bytes_both_ways)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response("tunnelled")), step::stall()}});
    auto o = allow_localhost();
    o.connect = connect_mode::tunnel; // raw bytes; interception is tls_intercept_test.cpp
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    auto const a = local(up.port());
    ASSERT_TRUE(c.send("CONNECT " + a + " HTTP/1.1\r\nHost: " + a + "\r\n\r\n"));
    auto h = c.read_head(wait);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->start_line, "HTTP/1.1 200 Connection established");
    ASSERT_TRUE(c.send("GET /inside HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "tunnelled");
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    EXPECT_EQ(up.requests()[0], "GET /inside HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(proxy.wait_for_log_entries(1, wait));
    EXPECT_EQ(proxy.network_log()[0].url, "https://" + a + "/");
    EXPECT_TRUE(proxy.network_log()[0].allowed);
}

//---------------------------------------------------------------------------------------------
// Faults

TEST(sandbox_proxy_faults, refuse_close_on_accept)
{
    auto o = allow_localhost();
    o.faults.refuse = refuse_mode::close_on_accept;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    c.send(get("localhost:1"));
    EXPECT_TRUE(c.wait_closed(wait));
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, wait));
    EXPECT_EQ(proxy.connections()[0].closed_by, "fault:refuse");
    EXPECT_EQ(proxy.requests().size(), 0u);
}

TEST(sandbox_proxy_faults, refuse_stop_listening_and_back)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response()), step::stall()});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    auto f = proxy.faults();
    f.refuse = refuse_mode::stop_listening;
    proxy.set_faults(f);
    int error = 0;
    ASSERT_TRUE(http_kit::wait_until(
        [&] { return !raw_client::try_connect(proxy.port(), &error) && error == ECONNREFUSED; },
        wait, "connection refused"));
    f.refuse = refuse_mode::none;
    proxy.set_faults(f);
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(sandbox_proxy_faults, close_after_requests_is_silent)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response()),
        step::read_request(), step::send(ok_response()), step::stall()});
    auto o = allow_localhost();
    o.faults.close_after_requests = 2;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r1 = c.read_response(wait);
    ASSERT_TRUE(r1);
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r2 = c.read_response(wait);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 200);
    EXPECT_FALSE(r2->head.has("Connection")); // no warning: the client finds out on reuse
    EXPECT_TRUE(c.wait_closed(wait));
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, wait));
    EXPECT_EQ(proxy.connections()[0].closed_by, "fault:close_after_requests");
    EXPECT_EQ(proxy.connections()[0].requests, 2u);
}

TEST(sandbox_proxy_faults, close_after_requests_announced)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response()), step::stall()});
    auto o = allow_localhost();
    o.faults.close_after_requests = 1;
    o.faults.announce_close = true;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->head.get("Connection"), "close");
    EXPECT_TRUE(c.wait_closed(wait));
}

TEST(sandbox_proxy_faults, idle_keep_alive_connections_are_closed)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response()), step::stall()});
    auto o = allow_localhost();
    o.faults.idle_close = 50ms;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->closed);
    auto const t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.wait_closed(wait));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 40ms);
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, wait));
    EXPECT_EQ(proxy.connections()[0].closed_by, "fault:idle_close");
}

TEST(sandbox_proxy_faults, latency_delays_each_request)
{
    scripted_upstream up({}, {step::read_request(), step::send(ok_response()), step::stall()});
    auto o = allow_localhost();
    o.faults.latency = 150ms;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    auto const t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
    EXPECT_EQ(r->status, 200);
}

TEST(sandbox_proxy_faults, buffer_responses_holds_the_stream_until_it_ends)
{
    std::string const head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n";
    scripted_upstream up({{step::read_request(), step::send(head + "9\r\ndata: 1\n\n\r\n"),
        step::gate(), step::send("9\r\ndata: 2\n\n\r\n0\r\n\r\n"), step::stall()}});
    auto o = allow_localhost();
    o.faults.buffer_responses = true;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    // The first event is at the proxy; with buffering nothing reaches the client yet.
    ASSERT_TRUE(proxy.wait_for_requests(1, wait));
    EXPECT_FALSE(c.read_head(300ms));
    up.release();
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->head.get("Content-Length"), "18");
    EXPECT_EQ(r->body, "data: 1\n\ndata: 2\n\n");
}

TEST(sandbox_proxy_faults, reset_mid_response_after_n_bytes)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response("0123456789abcdef")),
        step::stall()}});
    auto o = allow_localhost();
    o.faults.reset_after_bytes = 5;
    fake_sandbox_proxy proxy(o);
    proxy.start();
    raw_client c(proxy.port());
    ASSERT_TRUE(c.send(get(local(up.port()))));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->cut);
    EXPECT_EQ(r->body, "01234");
    ASSERT_TRUE(proxy.wait_for_closed_connections(1, wait));
    EXPECT_EQ(proxy.connections()[0].closed_by, "fault:reset_after_bytes");
    // The upstream connection is dropped with it (the generation stops).
    EXPECT_TRUE(up.wait_for_client_close(0, wait));
}

//---------------------------------------------------------------------------------------------
// A real client

TEST(sandbox_proxy_real_clients, curl_through_the_proxy)
{
    scripted_upstream up({{step::read_request(), step::send(ok_response("hello from upstream")),
        step::stall()}});
    fake_sandbox_proxy proxy(allow_localhost());
    proxy.start();
    auto const cmd = "curl -sS --max-time 20 -x http://127.0.0.1:" + std::to_string(proxy.port()) +
        " http://localhost:" + std::to_string(up.port()) + "/models 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buf[256];
    while(auto n = std::fread(buf, 1, sizeof buf, pipe))
        out.append(buf, n);
    EXPECT_EQ(::pclose(pipe), 0) << out;
    EXPECT_EQ(out, "hello from upstream");
    ASSERT_TRUE(up.wait_for_requests(1, wait));
    EXPECT_EQ(up.requests()[0].rfind("GET /models HTTP/1.1\r\nHost: localhost:", 0), 0u)
        << up.requests()[0];
}

} // namespace
} // namespace fakes::sandbox_proxy
