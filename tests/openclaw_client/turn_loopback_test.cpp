// One agent turn against a scripted loopback server: the request on the wire, a streamed
// success (chunked and close-delimited), each failure class with OpenClaw's message, exit code
// and request count, keep-alive reuse in load mode.
#include "fake_openclaw.hpp"
#include "script_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include <unistd.h>

namespace oc = fakes::openclaw;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json
openclaw_config(unsigned short port)
{
    return {{"gateway", {{"mode", "local"}}},
        {"agents", {{"defaults", {{"model", {{"primary", "docker-model-runner/ai/qwen2.5:7B-Q4_K_M"}}}}}}},
        {"models",
            {{"mode", "merge"},
                {"providers",
                    {{"docker-model-runner",
                        {{"baseUrl", "http://127.0.0.1:" + std::to_string(port) + "/engines/llama.cpp/v1"},
                            {"apiKey", "not-needed"}, {"api", "openai-completions"},
                            {"models", json::array({{{"id", "ai/qwen2.5:7B-Q4_K_M"}, {"name", "Qwen"},
                                                      {"maxTokens", 8192}}})}}}}}}}};
}

oc::client_options
options_for(unsigned short port)
{
    oc::client_options o;
    o.config = openclaw_config(port);
    o.message = "Say hi";
    o.seed = 1;
    o.idle_timeout = 10s;  // generous: only the timeout test relies on it firing
    o.connect_timeout = 10s;
    o.backoff_unit = 1ms;  // OpenClaw's waits shortened; the counts stay the real ones
    // The key state goes to a folder of this test, never to the real ~/.openclaw.
    auto const* info = testing::UnitTest::GetInstance()->current_test_info();
    o.state_dir = testing::TempDir() + "fake-openclaw-" + info->test_suite_name() + "-" + info->name() + "-" +
        std::to_string(::getpid());
    std::filesystem::remove_all(*o.state_dir);
    return o;
}

std::string
chunk_event(std::string const& content, char const* finish = nullptr)
{
    json delta = json::object();
    if (!content.empty())
        delta["content"] = content;
    json choice = {{"index", 0}, {"delta", delta}, {"finish_reason", finish ? json(finish) : json(nullptr)}};
    json chunk = {{"choices", json::array({choice})}, {"object", "chat.completion.chunk"}, {"model", "ai/qwen2.5:7B-Q4_K_M"}};
    return "data: " + chunk.dump() + "\n\n";
}

std::string const usage_event =
    "data: {\"choices\":[],\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":7,\"total_tokens\":9}}\n\n";
std::string const done_event = "data: [DONE]\n\n";

constexpr char const* chunked_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
constexpr char const* close_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

// A complete, well-formed chunked stream.
bool
good_stream(oc_test::script_connection& c, oc_test::recorded_request const&)
{
    c.write(chunked_head);
    c.chunk(chunk_event("Hel"));
    c.chunk(chunk_event("lo") + chunk_event("", "stop"));  // two events in one chunk
    c.chunk(usage_event);
    c.chunk(done_event);
    c.write("0\r\n\r\n");
    return true;
}

}  // namespace

TEST(turn_loopback, streamed_success_over_chunked_keep_alive)
{
    oc_test::script_server server(good_stream);
    std::string printed;
    auto o = options_for(server.port());
    o.on_text = [&](std::string_view t) { printed += t; };
    auto const r = oc::run_turn(o);

    EXPECT_EQ(r.error, oc::error_class::none) << r.detail;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.text, "Hello");
    EXPECT_EQ(printed, "Hello");
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_EQ(r.usage["total_tokens"], 9);
    EXPECT_TRUE(r.done_seen);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.user_message, "");
    EXPECT_EQ(r.requests_sent, 1);
    ASSERT_EQ(r.events.size(), 5u);
    EXPECT_GE(r.first_event_us, r.ttfb_us);
    for (std::size_t i = 1; i < r.events.size(); ++i)
        EXPECT_GE(r.events[i].t_us, r.events[i - 1].t_us);
    EXPECT_EQ(r.events.back().data, "[DONE]");
}

TEST(turn_loopback, request_bytes_on_the_wire)
{
    oc_test::script_server server(good_stream);
    auto const r = oc::run_turn(options_for(server.port()));
    ASSERT_EQ(r.error, oc::error_class::none) << r.detail;
    auto const requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    auto const& head = requests[0].head;
    auto const port = std::to_string(server.port());
    // Header names as OpenClaw's SDK writes them: lower case, this order, nothing else.
    std::string const expected_prefix =
        "POST /engines/llama.cpp/v1/chat/completions HTTP/1.1\r\n"
        "host: 127.0.0.1:" + port + "\r\n"
        "connection: keep-alive\r\n"
        "accept: application/json\r\n"
        "authorization: Bearer not-needed\r\n"
        "content-type: application/json\r\n"
        "traceparent: ";
    EXPECT_EQ(head.substr(0, expected_prefix.size()), expected_prefix) << head;
    std::string const expected_suffix =
        "user-agent: OpenAI/JS 7.15.0\r\n"
        "x-stainless-arch: x64\r\n"
        "x-stainless-lang: js\r\n"
        "x-stainless-os: Linux\r\n"
        "x-stainless-package-version: 7.15.0\r\n"
        "x-stainless-retry-count: 0\r\n"
        "x-stainless-runtime: node\r\n"
        "x-stainless-runtime-version: v24.21.0\r\n"
        "accept-language: *\r\n"
        "sec-fetch-mode: cors\r\n"
        "accept-encoding: gzip, deflate\r\n"
        "content-length: " + std::to_string(requests[0].body.size()) + "\r\n\r\n";
    ASSERT_GE(head.size(), expected_suffix.size());
    EXPECT_EQ(head.substr(head.size() - expected_suffix.size()), expected_suffix) << head;
    EXPECT_EQ(std::count(head.begin(), head.end(), '\n'), 20);  // request line, 18 headers, blank line
    auto const body = json::parse(requests[0].body);
    EXPECT_EQ(body["model"], "ai/qwen2.5:7B-Q4_K_M");
    auto const user = body["messages"][1]["content"].get<std::string>();
    EXPECT_NE(user.find("] Say hi\n\nRuntime: agent=main | session=agent:main:explicit:"), std::string::npos) << user;
    EXPECT_TRUE(body["messages"][2]["content"][0]["text"].get<std::string>().starts_with(
        "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"));
    EXPECT_EQ(body["max_completion_tokens"], 8192);
}

TEST(turn_loopback, close_delimited_stream_succeeds)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(close_head);
        c.write(chunk_event("Hi") + chunk_event("", "stop") + usage_event + done_event);
        return false;  // close ends the body
    });
    auto const r = oc::run_turn(options_for(server.port()));
    EXPECT_EQ(r.error, oc::error_class::none) << r.detail;
    EXPECT_EQ(r.text, "Hi");
    EXPECT_EQ(r.exit_code, 0);
}

TEST(turn_loopback, events_are_delivered_as_they_arrive)
{
    // The server holds the rest of the stream until the client has shown the first text: a
    // client that buffered the response would leave the server waiting until its deadline.
    std::mutex m;
    std::condition_variable cv;
    bool shown = false;
    std::atomic<bool> server_saw_it{false};
    oc_test::script_server server([&](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(chunked_head);
        c.chunk(chunk_event("first "));
        server_saw_it = oc_test::wait_until(m, cv, 5s, [&] { return shown; });
        c.chunk(chunk_event("second") + chunk_event("", "stop"));
        c.write("0\r\n\r\n");
        return true;
    });
    auto o = options_for(server.port());
    o.on_text = [&](std::string_view) {
        std::lock_guard lock(m);
        shown = true;
        cv.notify_all();
    };
    auto const r = oc::run_turn(o);
    EXPECT_TRUE(server_saw_it);
    EXPECT_EQ(r.error, oc::error_class::none) << r.detail;
    EXPECT_EQ(r.text, "first second");
}

TEST(turn_loopback, http_502_is_retried_eight_times)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nupstream ko");
        return true;
    });
    auto o = options_for(server.port());
    auto r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::http_status);
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.detail, "upstream ko");
    EXPECT_EQ(r.user_message, "\u26a0\ufe0f docker-model-runner/ai/qwen2.5:7B-Q4_K_M request failed (provider internal "
                              "error, HTTP 502). This is usually temporary \u2014 try again shortly.");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.requests_sent, 8);
    EXPECT_EQ(server.requests().size(), 8u);
    EXPECT_EQ(server.connections(), 1);  // keep-alive across the retries of one turn

    o.retries = 0;  // load-measurement mode: one request whatever happens
    r = oc::run_turn(o);
    EXPECT_EQ(r.requests_sent, 1);
    EXPECT_EQ(server.requests().size(), 9u);
    EXPECT_EQ(r.exit_code, 1);
}

TEST(turn_loopback, http_403_is_not_retried)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden");
        return true;
    });
    auto o = options_for(server.port());
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::http_status);
    EXPECT_EQ(r.user_message, "\u26a0\ufe0f docker-model-runner/ai/qwen2.5:7B-Q4_K_M request failed (authentication "
                              "failed, HTTP 403). Re-authenticate the provider and try again.");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.requests_sent, 1);
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST(turn_loopback, reset_mid_chunked_stream_is_an_interrupted_connection)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(chunked_head);
        c.chunk(chunk_event("partial"));
        c.reset();
        return false;
    });
    auto o = options_for(server.port());
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::connection_reset) << r.detail;
    EXPECT_EQ(r.user_message, "LLM request failed: network connection was interrupted.");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.requests_sent, 7);  // network failures: one fewer than a 5xx
    EXPECT_EQ(server.requests().size(), 7u);
}

TEST(turn_loopback, chunked_stream_closed_without_last_chunk_is_interrupted)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(chunked_head);
        c.chunk(chunk_event("partial"));
        return false;  // FIN without 0\r\n\r\n
    });
    auto const r = oc::run_turn(options_for(server.port()));
    EXPECT_EQ(r.error, oc::error_class::connection_reset) << r.detail;
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.text, "partial");
}

TEST(turn_loopback, close_delimited_cut_before_finish_reason_reads_as_timeout)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(close_head);
        c.write(chunk_event("partial"));
        return false;
    });
    auto o = options_for(server.port());
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::stream_cut) << r.detail;
    EXPECT_EQ(r.user_message, "LLM request timed out.");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.requests_sent, 7);
}

TEST(turn_loopback, connection_refused)
{
    oc_test::refused_port refused;
    auto o = options_for(refused.port());
    auto r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::connection_refused) << r.detail;
    EXPECT_EQ(r.user_message, "LLM request failed: connection refused by the provider endpoint.");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.requests_sent, 7);
    o.retries = 0;
    r = oc::run_turn(o);
    EXPECT_EQ(r.requests_sent, 1);
}

TEST(turn_loopback, no_response_head_waits_for_the_agent_deadline)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        // Hold the connection until the client gives up (bounded, so the server never hangs).
        c.wait_for_client_close(10s);
        return false;
    });
    EXPECT_EQ(oc::client_options{}.idle_timeout, 600s);  // OpenClaw's agent deadline
    auto o = options_for(server.port());
    o.idle_timeout = 200ms;
    auto const t0 = std::chrono::steady_clock::now();
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::agent_timeout) << r.detail;
    EXPECT_EQ(r.user_message, "Request timed out before a response was generated.");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.requests_sent, 1);  // the deadline ends the turn
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
}

TEST(turn_loopback, stall_mid_stream_times_out)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(chunked_head);
        c.chunk(chunk_event("slow"));
        c.wait_for_client_close(10s);
        return false;
    });
    auto o = options_for(server.port());
    o.idle_timeout = 200ms;
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::timed_out) << r.detail;
    EXPECT_EQ(r.user_message, "LLM request timed out.");
    EXPECT_EQ(r.text, "slow");
    EXPECT_EQ(r.requests_sent, 7);
}

TEST(turn_loopback, garbage_and_non_sse_answers_are_bad_responses)
{
    oc_test::script_server garbage([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write("HELLO THERE\r\n\r\n");
        return false;
    });
    auto r = oc::run_turn(options_for(garbage.port()));
    EXPECT_EQ(r.error, oc::error_class::bad_response) << r.detail;
    EXPECT_EQ(r.exit_code, 2);

    oc_test::script_server json_body([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        std::string const body = R"({"choices":[{"message":{"content":"hi"}}]})";
        c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
        return true;
    });
    r = oc::run_turn(options_for(json_body.port()));
    EXPECT_EQ(r.error, oc::error_class::bad_response) << r.detail;

    oc_test::script_server error_event([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(chunked_head);
        c.chunk("data: {\"error\":{\"code\":500,\"message\":\"context overflow\"}}\n\n");
        c.write("0\r\n\r\n");
        return true;
    });
    r = oc::run_turn(options_for(error_event.port()));
    EXPECT_EQ(r.error, oc::error_class::bad_response);
    EXPECT_NE(r.detail.find("context overflow"), std::string::npos);

    oc_test::script_server bad_chunk([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(chunked_head);
        c.write("zz\r\nnot hex\r\n");
        return false;
    });
    r = oc::run_turn(options_for(bad_chunk.port()));
    EXPECT_EQ(r.error, oc::error_class::bad_response) << r.detail;
}

TEST(turn_loopback, load_mode_reuses_keep_alive_connections)
{
    oc_test::script_server server(good_stream);
    auto o = options_for(server.port());
    o.repeat = 12;
    o.concurrency = 3;
    auto const l = oc::run_load(o);
    EXPECT_EQ(l.turns, 12);
    EXPECT_EQ(l.succeeded, 12);
    EXPECT_EQ(l.requests_sent, 12);
    EXPECT_TRUE(l.errors.empty());
    EXPECT_EQ(server.requests().size(), 12u);
    EXPECT_EQ(server.connections(), 3);
    int reused = 0;
    for (auto const& r : l.results)
        reused += r.reused_connection ? 1 : 0;
    EXPECT_EQ(reused, 9);
    EXPECT_EQ(l.total.count, 12);
    EXPECT_EQ(l.ttfb.count, 12);
    EXPECT_EQ(l.inter_event.count, 12 * 4);
    EXPECT_LE(l.total.p50_us, l.total.max_us);
    auto const j = oc::to_json(l);
    EXPECT_EQ(j["succeeded"], 12);
    EXPECT_EQ(j["total"]["count"], 12);
}

TEST(turn_loopback, config_errors_send_nothing)
{
    oc::client_options o;
    o.config_path = "/nonexistent/openclaw.json";
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::config_error);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.requests_sent, 0);
    EXPECT_NE(r.user_message.find("/nonexistent/openclaw.json"), std::string::npos);
}

TEST(turn_loopback, send_stamps_in_comments_give_per_event_delays)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        auto const now = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch()).count();
        c.write(chunked_head);
        c.chunk(": t=" + std::to_string(now) + "\n" + chunk_event("a"));
        c.chunk(chunk_event("", "stop"));  // no stamp: no delay
        c.chunk(": unrelated comment\n" + done_event);
        c.write("0\r\n\r\n");
        return true;
    });
    auto o = options_for(server.port());
    o.repeat = 2;
    auto const l = oc::run_load(o);
    ASSERT_EQ(l.succeeded, 2);
    auto const& events = l.results[0].events;
    ASSERT_EQ(events.size(), 5u);
    EXPECT_TRUE(events[0].is_comment);
    EXPECT_GE(events[1].delay_us, 0);
    EXPECT_LT(events[1].delay_us, 60'000'000);
    EXPECT_EQ(events[2].delay_us, -1);
    EXPECT_EQ(events[4].delay_us, -1);
    EXPECT_EQ(l.event_delay.count, 2);
    EXPECT_EQ(oc::to_json(l.results[0])["events"][1].contains("delay_us"), true);
}
