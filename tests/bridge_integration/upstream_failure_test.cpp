// Failures of the proxy hop before any response byte (502/504 as OpenAI-shaped JSON), stale
// pooled connections and the single retry, and the proxy's policy denials.
#include "bridge_fixture.hpp"
#include "loopback_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mrb::test {
namespace {

TEST_F(bridge_test, refused_proxy_gets_a_json_502_naming_the_address)
{
    const auto port = unused_loopback_port();
    auto o = options();
    o.args = {"--proxy", "http://127.0.0.1:" + std::to_string(port), "--target", k_target};
    ASSERT_TRUE(start_bridge(o));
    auto c = client();
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "no retry storm on a refused proxy";
    EXPECT_EQ(r->status, 502);
    EXPECT_TRUE(is_openai_error(*r));
    EXPECT_NE(error_message(*r).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r->body;
    EXPECT_TRUE(has_flag(access(0), "UF"));
}

TEST_F(bridge_test, proxy_that_stopped_listening_gets_a_json_502_at_once)
{
    // The proxy listens without FD_CLOEXEC (as every Asio acceptor does, the fake proxy's too)
    // while the bridge is spawned, then stops listening. The bridge must not have inherited the
    // listener: a refused connect is a prompt 502, not a connect into a backlog nobody serves.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 16), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const auto port = ntohs(a.sin_port);
    auto o = options();
    o.args = {"--proxy", "http://127.0.0.1:" + std::to_string(port), "--target", k_target};
    const bool started = start_bridge(o);
    ::close(fd); // the proxy goes down
    ASSERT_TRUE(started);
    auto c = client();
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send(request("GET", "/version")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r) << "no answer: the bridge's connect reached a listener that outlived its owner";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    EXPECT_EQ(r->status, 502);
    EXPECT_TRUE(is_openai_error(*r));
    EXPECT_TRUE(has_flag(access(0), "UF"));
}

TEST_F(bridge_test, reset_before_any_response_byte_gets_a_json_502)
{
    start_upstream({}, {step::read_request(), step::reset()});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    EXPECT_TRUE(is_openai_error(*r));
    EXPECT_TRUE(has_flag(access(0), "UR"));
}

struct garbage_case {
    const char* name;
    std::string answer;
};

void PrintTo(const garbage_case& c, std::ostream* os)
{
    *os << c.name;
}

class garbage_answer : public bridge_test, public testing::WithParamInterface<garbage_case> {};

TEST_P(garbage_answer, gets_a_json_502_and_the_connection_is_dropped)
{
    start_upstream({{step::read_request(), step::send(GetParam().answer), step::stall()}},
        {step::read_request(), step::send(ok_response("fresh"))});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    EXPECT_TRUE(is_openai_error(*r));
    EXPECT_TRUE(has_flag(access(0), "UPE"));
    // The broken connection is discarded, not pooled.
    EXPECT_TRUE(upstream_->wait_for_client_close(0, 2s));
    auto c2 = client();
    ASSERT_TRUE(c2.send(request("GET", "/models")));
    const auto r2 = c2.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "fresh");
}

INSTANTIATE_TEST_SUITE_P(bridge, garbage_answer,
    testing::Values(garbage_case{"not_http", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n"},
        garbage_case{"bad_status_code", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"},
        garbage_case{"bad_content_length", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nabc"},
        garbage_case{"differing_content_lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(bridge_test, obs_fold_in_a_response_is_never_relayed_as_a_fold)
{
    // RFC 9112 5.2: discard with 502, or replace each fold with SP. Relaying the fold is neither.
    start_upstream({{step::read_request(), step::send("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok")}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r) << "no parsable response (a relayed fold does not parse)";
    if (r->status == 502) {
        EXPECT_TRUE(is_openai_error(*r));
        return;
    }
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
    const auto v = r->head.get("X-A");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->find_first_of("\r\n"), std::string::npos);
}

TEST_F(bridge_test, silent_proxy_gets_a_json_504_at_the_header_deadline)
{
    start_upstream({}, {step::read_request(), step::stall()});
    ASSERT_TRUE(start_bridge({"--response-header-timeout", "500ms"}));
    auto c = client();
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(10s);
    const auto waited = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 504);
    EXPECT_TRUE(is_openai_error(*r));
    EXPECT_GE(waited, 450ms);
    EXPECT_TRUE(has_flag(access(0), "UT"));
    // The silent connection is given up.
    EXPECT_TRUE(upstream_->wait_for_client_close(0, 2s));
}

TEST_F(bridge_test, default_header_deadline_tolerates_a_slow_model_load)
{
    // The Model Runner sends no headers while it loads a model; defaults must wait (here 3 s
    // stands for the ~300 s a real load may take: any short default would fail it).
    start_upstream({{step::read_request(), step::delay(3s), step::send(ok_response("loaded"))}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "loaded");
}

TEST_F(bridge_test, idle_stream_is_cut_at_the_body_idle_deadline)
{
    start_upstream({{step::read_request(), step::send(sse_head() + chunk(sse_event(1))), step::stall()}});
    ASSERT_TRUE(start_bridge({"--idle-timeout", "500ms"}));
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->cut);
    EXPECT_TRUE(has_flag(access(0), "UT"));
    EXPECT_TRUE(upstream_->wait_for_client_close(0, 2s));
}

TEST_F(bridge_test, stale_pooled_connections_never_surface_as_errors)
{
    // Every proxy connection serves one request and then the proxy closes it while idle.
    start_upstream({}, {step::read_request(), step::send(ok_response("fresh")), step::close()});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    for (int i = 0; i < 20; ++i) {
        // Half the time the proxy's close has certainly landed; half the time it races.
        if (i % 2 == 0 && i > 0) {
            ASSERT_TRUE(upstream_->wait_for_finished(static_cast<std::size_t>(i - 1), 5s));
        }
        ASSERT_TRUE(c.send(request("GET", "/models")));
        const auto r = c.read_response(5s);
        ASSERT_TRUE(r) << "request " << i;
        EXPECT_EQ(r->status, 200) << "request " << i << ": " << r->body;
        EXPECT_EQ(r->body, "fresh");
    }
    for (const auto& entry : bridge_->access_log())
        EXPECT_EQ(entry.value("status", 0), 200) << entry;
}

TEST_F(bridge_test, retries_once_when_a_reused_connection_fails_before_any_byte)
{
    start_upstream({{step::read_request(), step::send(ok_response("one")), step::read_request(), step::reset()},
        {step::read_request(), step::send(ok_response("two"))}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    ASSERT_TRUE(c.read_response(5s));
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "two");
    EXPECT_EQ(upstream_->connection(0).requests.size(), 2u);
    EXPECT_EQ(upstream_->connection(1).requests.size(), 1u);
    const auto entry = access(1);
    EXPECT_TRUE(entry.value("retried", false)) << entry;
}

TEST_F(bridge_test, retries_at_most_once)
{
    start_upstream({{step::read_request(), step::send(ok_response("one")), step::read_request(), step::reset()}},
        {step::read_request(), step::reset()});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    ASSERT_TRUE(c.read_response(5s));
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    EXPECT_TRUE(is_openai_error(*r));
    access(1);  // written after the last attempt
    EXPECT_EQ(upstream_->connection_count(), 2u);
}

// A POST on a stale pooled connection is resent whole (issue 10 item 9): see
// framing_hardening_test.cpp, post_on_a_stale_pooled_connection_is_resent_whole and
// post_beyond_the_replay_limit_is_not_resent.

struct deny_case {
    const char* name;
    upstream_script script;
};

std::string with_length(const std::string& head, const std::string& body)
{
    return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string k_squid_html =
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html><head><title>ERROR: The requested URL could not be "
    "retrieved</title></head><body id=ERR_ACCESS_DENIED><h1>ERROR</h1><h2>The requested URL could not be retrieved</h2>"
    "<p>Access Denied.</p><p>Access control configuration prevents your request from being allowed at this time.</p>"
    "</body></html>\n";

void PrintTo(const deny_case& c, std::ostream* os)
{
    *os << c.name;
}

class proxy_denial : public bridge_test, public testing::WithParamInterface<deny_case> {};

// --error-delivery status: the HTTP error, for every denial shape.
TEST_P(proxy_denial, becomes_the_bridge_denial_answer_naming_the_fix)
{
    start_upstream({GetParam().script}, {step::read_request(), step::send(ok_response())});
    ASSERT_TRUE(start_bridge({"--error-delivery", "status"}));
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    // Not 403 (OpenClaw: "authentication failed", key locked), not 401, not 5xx (90 s of retries).
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 500);
    EXPECT_NE(r->status, 403);
    EXPECT_NE(r->status, 401);
    EXPECT_NE(r->status, 408);
    EXPECT_NE(r->status, 429);
    EXPECT_TRUE(is_openai_error(*r));
    const auto message = error_message(*r);
    EXPECT_NE(message.find("docker sandbox network proxy"), std::string::npos) << message;
    EXPECT_NE(message.find("--allow-host localhost"), std::string::npos) << message;
    EXPECT_FALSE(r->head.has("X-Squid-Error"));
    const auto entry = access(0);
    EXPECT_TRUE(has_flag(entry, "PD")) << entry;
    EXPECT_EQ(entry.value("status", 0), r->status);
    // The log names the fix too.
    bool logged_fix = false;
    for (const auto& line : bridge_->log_entries())
        if (line.value("msg", "") != "access" && line.dump().find("--allow-host localhost") != std::string::npos)
            logged_fix = true;
    EXPECT_TRUE(logged_fix) << "no log line names the fix";
}

// The default, --error-delivery chat: a streamed chat completion gets, for every denial shape, an
// assistant reply carrying the same message and fix (OpenClaw shows no provider error text).
TEST_P(proxy_denial, becomes_a_chat_reply_naming_the_fix_by_default)
{
    start_upstream({GetParam().script}, {step::read_request(), step::send(ok_response())});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->head.get("Content-Type"), "text/event-stream");
    EXPECT_EQ(r->head.get("X-Model-Runner-Bridge-Error"), "sandbox_proxy_denied");
    EXPECT_NE(r->body.find("docker sandbox network proxy <sandbox> --allow-host localhost"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("\"finish_reason\":\"stop\""), std::string::npos) << r->body;
    EXPECT_TRUE(r->body.ends_with("data: [DONE]\n\n")) << r->body;
    EXPECT_FALSE(r->head.has("X-Squid-Error"));
    const auto entry = access(0);
    EXPECT_TRUE(has_flag(entry, "PD")) << entry;
    EXPECT_EQ(entry.value("status", 0), 200);
    EXPECT_NE(entry.value("detail", "").find("answered as a chat reply"), std::string::npos) << entry;
}

INSTANTIATE_TEST_SUITE_P(bridge, proxy_denial,
    testing::Values(
        deny_case{"docker_403",
            {step::read_request(),
                step::send(with_length("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                       "X-Content-Type-Options: nosniff\r\n",
                    "Blocked by network policy: domain localhost:12434\n  detail: no matching allow rule - blocked by "
                    "default deny policy\n"))}},
        deny_case{"docker_legacy_500",
            {step::read_request(),
                step::send(with_length("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                       "X-Content-Type-Options: nosniff\r\n",
                    "connection to 127.0.0.1:12434 blocked by network policy\n"))}},
        deny_case{"squid_403",
            {step::read_request(),
                step::send(with_length("HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nMime-Version: 1.0\r\n"
                                       "Content-Type: text/html;charset=utf-8\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\n"
                                       "Vary: Accept-Language\r\nContent-Language: en\r\nX-Cache: MISS from squid\r\n"
                                       "Via: 1.1 squid (squid/5.7)\r\nConnection: keep-alive\r\n",
                    k_squid_html))}},
        deny_case{"tinyproxy_filtered",
            {step::read_request(),
                step::send("HTTP/1.1 403 Filtered\r\nServer: tinyproxy/1.11.1\r\nContent-Type: text/html\r\n"
                           "Connection: close\r\n\r\n<html><head><title>403 Filtered</title></head><body><h1>Filtered"
                           "</h1><p>The request you made has been filtered</p></body></html>\n"),
                step::close()}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mrb::test
