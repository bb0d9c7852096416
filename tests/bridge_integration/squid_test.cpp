// The "Done when" check: a streamed chat completion relayed through REAL Squid (started with
// a generated allowlisting config on a free loopback port) to an upstream and back, event by
// event; and Squid's own denial turned into the bridge's denial answer.
#include "bridge_fixture.hpp"
#include "loopback_port.hpp"
#include "squid_instance.hpp"

namespace mrb::test {
namespace {

TEST(bridge_through_squid, streams_a_chat_completion_event_by_event)
{
    constexpr int events = 6;
    // The upstream here is the Model Runner itself; Squid forwards to it in origin-form.
    upstream_script script = {step::read_request(), step::send(sse_head())};
    for (int i = 1; i <= events; ++i) {
        script.push_back(step::gate());
        script.push_back(step::send(chunk(sse_event(i))));
    }
    script.push_back(step::gate());
    script.push_back(step::send(chunk("data: [DONE]\n\n") + k_last_chunk));
    scripted_upstream model_runner({script});

    squid_options so;
    so.allowed_ports = {model_runner.port()};
    squid_instance squid(so);
    ASSERT_TRUE(squid.start());

    const std::string target = "127.0.0.1:" + std::to_string(model_runner.port());
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.args = {"--proxy", "http://127.0.0.1:" + std::to_string(squid.port()), "--target", target};
    bridge_process bridge(o);
    ASSERT_TRUE(bridge.start());

    raw_client c(bridge.port());
    ASSERT_TRUE(c.send(chat_request()));
    const auto head = c.read_head(10s);
    ASSERT_TRUE(head) << bridge.output() << squid.cache_log();
    EXPECT_EQ(head->status(), 200);
    for (int i = 1; i <= events; ++i) {
        model_runner.release();
        ASSERT_TRUE(c.read_body_until("\"tok" + std::to_string(i) + "\"", 5s))
            << "event " << i << " did not arrive before the next was sent; got: " << c.body();
        EXPECT_EQ(sse_events(c.body()).size(), static_cast<std::size_t>(i));
    }
    model_runner.release();
    c.read_body(5s);
    EXPECT_TRUE(c.body_complete());
    EXPECT_EQ(sse_events(c.body()).size(), static_cast<std::size_t>(events + 1));

    // What reached the Model Runner: the path, the body, one Host naming it.
    ASSERT_TRUE(model_runner.wait_for_requests(1, 5s));
    const auto sent = model_runner.requests()[0];
    EXPECT_EQ(sent.rfind("POST /engines/llama.cpp/v1/chat/completions HTTP/1.1\r\n", 0), 0u) << sent;
    EXPECT_EQ(sent.substr(sent.size() - k_chat_body.size()), k_chat_body);
    EXPECT_EQ(parse_head(sent)->get("Host"), target);

    ASSERT_TRUE(bridge.wait_for_access_log(1, 5s));
    const auto entry = bridge.access_log()[0];
    EXPECT_EQ(entry.value("sse_events", -1), events + 1);
    EXPECT_TRUE(entry.value("flags", nlohmann::json::array()).empty()) << entry;
}

TEST(bridge_through_squid, squid_denial_becomes_the_bridge_denial_answer)
{
    scripted_upstream allowed({});
    squid_options so;
    so.allowed_ports = {allowed.port()};
    squid_instance squid(so);
    ASSERT_TRUE(squid.start());

    // A target port the allowlist does not name.
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    // The HTTP error form (the chat-reply form has its own tests for every denial shape).
    o.args = {"--proxy", "http://127.0.0.1:" + std::to_string(squid.port()), "--target",
        "127.0.0.1:" + std::to_string(unused_loopback_port()), "--error-delivery", "status"};
    bridge_process bridge(o);
    ASSERT_TRUE(bridge.start());

    raw_client c(bridge.port());
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_NE(r->status, 403);
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 500);
    EXPECT_TRUE(is_openai_error(*r));
    // The fix names the target's host as the bridge was told it.
    EXPECT_NE(error_message(*r).find("--allow-host 127.0.0.1"), std::string::npos) << r->body;
    ASSERT_TRUE(bridge.wait_for_access_log(1, 5s));
    EXPECT_TRUE(has_flag(bridge.access_log()[0], "PD"));
    EXPECT_EQ(allowed.connection_count(), 0u);
}

}  // namespace
}  // namespace mrb::test
