// The command line (--help, --version, usage errors, --direct) and the connection-level limits
// (concurrent connections, client header deadline), pipelining, and the access-log shape.
#include "bridge_fixture.hpp"

#include <signal.h>

namespace mrb::test {
namespace {

TEST(bridge_command_line, help_shows_every_flag_of_the_issue)
{
    child_process p(MRB_BRIDGE_BINARY, {"--help"});
    ASSERT_EQ(p.wait_exit(10s), 0);
    const auto help = p.text(child_process::stream::out) + p.text(child_process::stream::err);
    for (const char* flag : {"--listen", "--target", "--proxy", "--direct", "--threads", "--connect-timeout",
             "--response-header-timeout", "--idle-timeout", "--client-header-timeout", "--max-header-bytes",
             "--max-body-bytes", "--max-connections", "--drain-timeout", "--log-format", "--log-level", "--version"})
        EXPECT_NE(help.find(flag), std::string::npos) << flag << " missing from --help";
    // Defaults from the issue.
    EXPECT_NE(help.find("127.0.0.1:54321"), std::string::npos);
    EXPECT_NE(help.find("localhost:12434"), std::string::npos);
    EXPECT_NE(help.find("HTTP_PROXY"), std::string::npos);
}

TEST(bridge_command_line, version_prints_one_line_and_exits_zero)
{
    child_process p(MRB_BRIDGE_BINARY, {"--version"});
    ASSERT_EQ(p.wait_exit(10s), 0);
    const auto out = p.lines(child_process::stream::out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(std::regex_search(out[0], std::regex("[0-9]+\\.[0-9]+\\.[0-9]+"))) << out[0];
}

TEST(bridge_command_line, bad_values_are_usage_errors_with_exit_code_2)
{
    for (const auto& args : {std::vector<std::string>{"--no-such-flag"},
             {"--log-format", "xml"}, {"--connect-timeout", "soon"}, {"--listen", "127.0.0.1:99999"}}) {
        child_process p(MRB_BRIDGE_BINARY, args);
        EXPECT_EQ(p.wait_exit(10s), 2) << args[0];
        EXPECT_EQ(p.text(child_process::stream::out).find("listening"), std::string::npos) << args[0];
    }
}

TEST_F(bridge_test, direct_mode_sends_origin_form_to_the_target_itself)
{
    start_upstream({{step::read_request(), step::send(ok_response("direct"))}});
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    const std::string target = "127.0.0.1:" + std::to_string(upstream_->port());
    // A proxy in the environment must not matter with --direct.
    o.env = {{"HTTP_PROXY", "http://127.0.0.1:1"}};
    o.args = {"--direct", "--target", target};
    ASSERT_TRUE(start_bridge(o));
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/engines/v1/models?x=1")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "direct");
    ASSERT_TRUE(upstream_->wait_for_requests(1, 5s));
    const auto sent = parse_head(upstream_->requests()[0]);
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->start_line, "GET /engines/v1/models?x=1 HTTP/1.1");
    EXPECT_EQ(sent->get("Host"), target);
}

TEST_F(bridge_test, connection_limit_refuses_the_extra_client_and_spares_the_others)
{
    upstream_script stream = {step::read_request(), step::send(sse_head() + chunk(sse_event(1))), step::gate(),
        step::send(chunk(sse_event(2)) + k_last_chunk)};
    start_upstream({stream, stream}, {step::read_request(), step::send(ok_response("after"))});
    ASSERT_TRUE(start_bridge({"--max-connections", "2"}));

    auto a = client();
    auto b = client();
    for (auto* c : {&a, &b}) {
        ASSERT_TRUE(c->send(chat_request()));
        ASSERT_TRUE(c->read_head(5s));
        ASSERT_TRUE(c->read_body_until("tok1", 5s));
    }
    // The third is refused (503 or a close), never relayed.
    auto extra = client();
    extra.send(request("GET", "/models"));
    const auto r = extra.read_response(5s);
    if (r) {
        EXPECT_EQ(r->status, 503);
    } else {
        EXPECT_TRUE(extra.peer_closed()) << "the extra connection got neither a 503 nor a close";
    }
    EXPECT_EQ(upstream_->connection_count(), 2u);

    // The streams in progress are unaffected.
    upstream_->release(2);
    for (auto* c : {&a, &b}) {
        c->read_body(5s);
        EXPECT_TRUE(c->body_complete());
        EXPECT_NE(c->body().find("tok2"), std::string::npos);
    }
}

TEST_F(bridge_test, client_header_deadline_closes_a_slowloris)
{
    start_upstream({});
    ASSERT_TRUE(start_bridge({"--client-header-timeout", "500ms"}));
    auto c = client();
    ASSERT_TRUE(c.send("GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
    const auto t0 = std::chrono::steady_clock::now();
    // A few more bytes, still no end of head.
    ASSERT_TRUE(c.send("a"));
    EXPECT_TRUE(c.wait_closed(5s));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 400ms);
    EXPECT_EQ(upstream_->bytes_received(), 0u);
}

TEST_F(bridge_test, pipelined_requests_are_answered_in_order)
{
    start_upstream({{step::read_request(), step::send(ok_response("one")), step::read_request(), step::send(ok_response("two"))}},
        {step::read_request(), step::send(ok_response("two"))});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send("POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc" + request("GET", "/b")));
    const auto r1 = c.read_response(5s);
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->body, "one");
    const auto r2 = c.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "two");
    const auto reqs = upstream_->requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].rfind("POST http://" + k_target + "/a ", 0), 0u);
    EXPECT_EQ(reqs[0].substr(reqs[0].size() - 3), "abc");
    EXPECT_EQ(reqs[1].rfind("GET http://" + k_target + "/b ", 0), 0u);
}

TEST_F(bridge_test, access_log_entries_carry_every_contract_field)
{
    start_upstream({{step::read_request(), step::send(ok_response("x"))}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    ASSERT_TRUE(c.read_response(5s));
    const auto e = access(0);
    for (const char* f : {"ts", "level"})
        EXPECT_TRUE(e.contains(f)) << f;
    for (const char* f : {"method", "path"})
        EXPECT_TRUE(e.contains(f) && e[f].is_string()) << f;
    for (const char* f : {"status", "bytes_in", "bytes_out", "dur_us", "ttfb_us", "sse_events"})
        EXPECT_TRUE(e.contains(f) && e[f].is_number_integer()) << f;
    for (const char* f : {"upstream_reused", "retried"})
        EXPECT_TRUE(e.contains(f) && e[f].is_boolean()) << f;
    EXPECT_TRUE(e.contains("flags") && e["flags"].is_array());
    EXPECT_EQ(e.value("bytes_out", -1), 1);
    EXPECT_GE(e.value("dur_us", -1), e.value("ttfb_us", 0));
}

}  // namespace
}  // namespace mrb::test
