// Every fault observed on the wire by a raw socket client against an in-process fake.
#include "fake_model_runner.hpp"
#include "raw_client.hpp"

#include <gtest/gtest.h>

using namespace fakes::model_runner;
using namespace std::chrono_literals;
using mrb_test::raw_client;
using mrb_test::stream_end;

namespace {

const std::string chat_body =
    R"({"model":"smollm2","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"one two three four five"}]})";
// role + "Echo:" + 5 words + finish + usage + [DONE] = 10 events
constexpr std::size_t chat_events = 10;

std::string
stream_request(const std::string& fault = {})
{
    return mrb_test::post("/engines/llama.cpp/v1/chat/completions", chat_body,
                          fault.empty() ? std::string() : "x-fake-fault: " + fault + "\r\n");
}

std::chrono::milliseconds
since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t);
}

struct wire : testing::Test
{
    runner_options options = [] {
        runner_options o;
        o.threads = 1;
        o.fixed_created = 1700000000;
        return o;
    }();
    std::unique_ptr<fake_model_runner> dmr;

    void start()
    {
        dmr = std::make_unique<fake_model_runner>(options);
        dmr->start();
        ASSERT_NE(dmr->port(), 0);
    }
    void SetUp() override { start(); }
};

} // namespace

TEST_F(wire, clean_stream_is_chunked_and_complete)
{
    raw_client c(dmr->port());
    c.send(stream_request());
    ASSERT_EQ(c.read_until("0\r\n\r\n", 5s), stream_end::open);
    auto head = mrb_test::head_of(c.data());
    EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nServer: llama.cpp\r\nDate: ")) << head;
    EXPECT_TRUE(head.ends_with("\r\nTransfer-Encoding: chunked\r\n\r\n")) << head;
    std::string body;
    ASSERT_TRUE(mrb_test::dechunk(mrb_test::body_of(c.data()), body));
    EXPECT_EQ(mrb_test::count_events(body), chat_events);
    EXPECT_TRUE(body.ends_with("data: [DONE]\n\n"));
    // Keep-alive: a second request on the same connection works.
    c.send(mrb_test::get("/version"));
    ASSERT_EQ(c.read_until("{\"version\"", 5s), stream_end::open);
    EXPECT_EQ(dmr->connections_accepted(), 1u);
}

TEST_F(wire, latency_delays_the_first_byte)
{
    raw_client c(dmr->port());
    c.send(mrb_test::get("/version", "x-fake-fault: latency;ms=150\r\n"));
    ASSERT_EQ(c.read_until("}\n", 5s), stream_end::open);
    ASSERT_FALSE(c.pieces().empty());
    EXPECT_GE(c.pieces().front().at - c.started(), 150ms);
}

TEST_F(wire, bandwidth_limits_the_rate)
{
    raw_client c(dmr->port());
    std::string body(2000, 'x');
    c.send(mrb_test::get("/", "x-fake-fault: status;code=200;body=" + body + ",bandwidth;kbps=10\r\n"));
    ASSERT_EQ(c.read_until(body, 10s), stream_end::open);
    // ~2100 bytes at 10 KiB/s is ~200 ms.
    EXPECT_GE(c.pieces().back().at - c.started(), 150ms);
    EXPECT_GE(c.pieces().size(), 2u);
}

TEST_F(wire, slicer_splits_into_delayed_segments)
{
    raw_client c(dmr->port());
    c.send(mrb_test::get("/", "x-fake-fault: status;code=200;body=hello,slicer;size=40;delay_us=40000\r\n"));
    ASSERT_EQ(c.read_until("hello", 10s), stream_end::open);
    auto total = c.data().size();
    auto segments = (total + 39) / 40;
    ASSERT_GE(segments, 3u);
    // Lower bounds only: a late reader may merge segments, but never receive them early.
    EXPECT_GE(c.pieces().size(), 2u);
    EXPECT_GE(c.pieces().back().at - c.started(), std::chrono::milliseconds(40 * (segments - 1)));
}

TEST_F(wire, slicer_splits_sse_events_across_reads)
{
    raw_client c(dmr->port());
    c.send(stream_request("slicer;size=16;delay_us=2000"));
    ASSERT_EQ(c.read_until("0\r\n\r\n", 10s), stream_end::open);
    std::string body;
    ASSERT_TRUE(mrb_test::dechunk(mrb_test::body_of(c.data()), body));
    EXPECT_EQ(mrb_test::count_events(body), chat_events);
    // ~3 KB in 16-byte slices 2 ms apart: many reads, and it takes at least slices x 2 ms.
    auto slices = (c.data().size() + 15) / 16;
    EXPECT_GT(c.pieces().size(), 10u);
    EXPECT_GE(c.pieces().back().at - c.started(), std::chrono::milliseconds(2 * (slices - 1)));
}

TEST_F(wire, coalesce_puts_several_events_in_one_write)
{
    options.token_interval = 40ms;
    start();
    raw_client c(dmr->port());
    c.send(stream_request("coalesce;events=3"));
    ASSERT_EQ(c.read_until("0\r\n\r\n", 10s), stream_end::open);
    ASSERT_FALSE(c.pieces().empty());
    EXPECT_GE(mrb_test::count_events(c.pieces().front().bytes), 3u);
    // 10 events in groups of 3: the stream has exactly 3 pauses.
    // 10 events in groups of 3: at least 3 pauses.
    EXPECT_GE(c.pieces().back().at - c.started(), 120ms);
}

TEST_F(wire, pacing_sends_one_event_per_write)
{
    options.token_interval = 50ms;
    start();
    raw_client c(dmr->port());
    c.send(stream_request());
    ASSERT_EQ(c.read_until("0\r\n\r\n", 10s), stream_end::open);
    // 10 events 50 ms apart cannot all arrive in a few reads.
    EXPECT_GE(c.pieces().size(), 4u);
    EXPECT_GE(c.pieces().back().at - c.started(), 450ms);
}

TEST_F(wire, without_pacing_the_whole_stream_is_one_write)
{
    raw_client c(dmr->port());
    c.send(stream_request());
    ASSERT_EQ(c.read_until("0\r\n\r\n", 10s), stream_end::open);
    EXPECT_EQ(c.pieces().size(), 1u) << "headers, all events and the last chunk in one segment";
}

TEST_F(wire, big_repeated_stream_is_complete)
{
    options.replies = {scripted_reply{"", "big", "xxxxxxxx", std::nullopt, 20000}};
    start();
    raw_client c(dmr->port());
    c.send(mrb_test::post("/v1/chat/completions", R"({"model":"smollm2","stream":true,"messages":[{"role":"user","content":"big"}]})"));
    ASSERT_EQ(c.read_until("0\r\n\r\n", 20s), stream_end::open);
    std::string body;
    ASSERT_TRUE(mrb_test::dechunk(mrb_test::body_of(c.data()), body));
    EXPECT_EQ(mrb_test::count_events(body), 1u + 20000u + 1u + 1u);
    EXPECT_GT(body.size(), 4'000'000u);
    EXPECT_TRUE(body.ends_with("data: [DONE]\n\n"));
}

TEST_F(wire, limit_data_closes_after_n_bytes)
{
    raw_client c(dmr->port());
    c.send(stream_request("limit_data;bytes=100"));
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    EXPECT_EQ(c.data().size(), 100u);
}

TEST_F(wire, reset_peer_before_headers)
{
    raw_client c(dmr->port());
    c.send(stream_request("reset_peer"));
    EXPECT_EQ(c.read_to_end(5s), stream_end::reset);
    EXPECT_TRUE(c.data().empty());
}

TEST_F(wire, reset_peer_after_events)
{
    raw_client c(dmr->port());
    c.send(stream_request("reset_peer;after_events=2"));
    EXPECT_EQ(c.read_to_end(5s), stream_end::reset);
    // The RST may discard unread bytes on the client; what arrived has at most 2 events.
    EXPECT_LE(mrb_test::count_events(c.data()), 2u);
    EXPECT_EQ(c.data().find("[DONE]"), std::string::npos);
}

TEST_F(wire, timeout_stalls_then_closes)
{
    raw_client c(dmr->port());
    c.send(stream_request("timeout;ms=150"));
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    EXPECT_TRUE(c.data().empty());
    EXPECT_GE(since(c.started()), 150ms);
}

TEST_F(wire, timeout_after_events_holds_until_client_leaves)
{
    raw_client c(dmr->port());
    c.send(stream_request("timeout;after_events=2"));
    ASSERT_EQ(c.read_until(R"("content":"Echo:")", 5s), stream_end::open);
    EXPECT_EQ(c.read_to_end(200ms), stream_end::timeout) << "stalled, not closed";
    EXPECT_EQ(mrb_test::count_events(c.data()), 2u);
    c.close();
    EXPECT_TRUE(dmr->wait_for_disconnect(5s));
}

TEST_F(wire, slow_close_delays_the_fin)
{
    raw_client c(dmr->port());
    c.send(mrb_test::get("/version", "x-fake-fault: slow_close;ms=200\r\n"));
    ASSERT_EQ(c.read_until("}\n", 5s), stream_end::open);
    EXPECT_NE(c.data().find("Connection: close\r\n"), std::string::npos);
    auto got_body = c.pieces().back().at;
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    EXPECT_GE(std::chrono::steady_clock::now() - got_body, 150ms);
}

TEST_F(wire, status_fault_exact_bytes)
{
    raw_client c(dmr->port());
    c.send(stream_request("status;code=503;body=Loading%20model"));
    ASSERT_EQ(c.read_until("Loading model", 5s), stream_end::open);
    auto head = mrb_test::head_of(c.data());
    EXPECT_TRUE(head.starts_with("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                 "X-Content-Type-Options: nosniff\r\nDate: ")) << head;
    EXPECT_TRUE(head.ends_with("\r\nContent-Length: 13\r\n\r\n")) << head;
    EXPECT_EQ(mrb_test::body_of(c.data()), "Loading model");
}

TEST_F(wire, truncate_ends_cleanly_without_done)
{
    raw_client c(dmr->port());
    c.send(stream_request("truncate;after_events=3"));
    ASSERT_EQ(c.read_until("0\r\n\r\n", 5s), stream_end::open);
    std::string body;
    ASSERT_TRUE(mrb_test::dechunk(mrb_test::body_of(c.data()), body));
    EXPECT_EQ(mrb_test::count_events(body), 3u);
    EXPECT_EQ(body.find("finish_reason\":\"stop"), std::string::npos);
    EXPECT_EQ(body.find("[DONE]"), std::string::npos);
}

TEST_F(wire, truncate_with_close_cuts_the_chunked_body)
{
    raw_client c(dmr->port());
    c.send(stream_request("truncate;after_events=3;close=1"));
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    std::string body;
    EXPECT_FALSE(mrb_test::dechunk(mrb_test::body_of(c.data()), body)) << "no last chunk";
    EXPECT_EQ(mrb_test::count_events(c.data()), 3u);
}

TEST_F(wire, malformed_chunk_breaks_one_event)
{
    raw_client c(dmr->port());
    c.send(stream_request("malformed_chunk;after_events=1"));
    ASSERT_EQ(c.read_until("0\r\n\r\n", 5s), stream_end::open);
    std::string body;
    ASSERT_TRUE(mrb_test::dechunk(mrb_test::body_of(c.data()), body));
    EXPECT_EQ(mrb_test::count_events(body), chat_events);
    auto second = body.find("data: ", body.find("data: ") + 1);
    auto end = body.find("\n\n", second);
    auto json_text = body.substr(second + 6, end - second - 6);
    EXPECT_TRUE(nlohmann::json::parse(json_text, nullptr, false).is_discarded()) << json_text;
}

TEST_F(wire, invalid_framing_bad_chunk_size)
{
    raw_client c(dmr->port());
    c.send(stream_request("invalid_framing;mode=bad_chunk_size;after_events=1"));
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    EXPECT_NE(c.data().find("\r\nzz\r\ndata: "), std::string::npos);
}

TEST_F(wire, invalid_framing_cl_and_te)
{
    raw_client c(dmr->port());
    c.send(stream_request("invalid_framing;mode=cl_and_te"));
    ASSERT_EQ(c.read_until("\r\n\r\n", 5s), stream_end::open);
    auto head = mrb_test::head_of(c.data());
    EXPECT_NE(head.find("Content-Length: "), std::string::npos);
    EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos);
}

TEST_F(wire, invalid_framing_bad_status_line)
{
    raw_client c(dmr->port());
    c.send(mrb_test::get("/version", "x-fake-fault: invalid_framing;mode=bad_status_line\r\n"));
    ASSERT_EQ(c.read_until("}\n", 5s), stream_end::open);
    EXPECT_TRUE(c.data().starts_with("HTTP/1.1 2x0 OK\r\n")) << c.data();
}

TEST_F(wire, close_delimited_stream)
{
    raw_client c(dmr->port());
    c.send(stream_request("close_delimited"));
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    auto head = mrb_test::head_of(c.data());
    EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos);
    EXPECT_EQ(head.find("Content-Length"), std::string::npos);
    EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
    auto body = mrb_test::body_of(c.data());
    EXPECT_EQ(mrb_test::count_events(body), chat_events);
    EXPECT_TRUE(body.ends_with("data: [DONE]\n\n"));
}

TEST_F(wire, load_delay_holds_headers_once_per_model)
{
    options.load_delay = 600ms;
    start();
    raw_client c(dmr->port());
    c.send(stream_request());
    ASSERT_EQ(c.read_until("0\r\n\r\n", 5s), stream_end::open);
    EXPECT_GE(c.pieces().front().at - c.started(), 600ms);
    raw_client d(dmr->port());
    d.send(stream_request());
    ASSERT_EQ(d.read_until("0\r\n\r\n", 5s), stream_end::open);
    EXPECT_LT(d.pieces().front().at - d.started(), 600ms) << "the model is loaded now";
}

TEST_F(wire, load_delay_fault_and_client_leaving_is_recorded)
{
    raw_client c(dmr->port());
    c.send(stream_request("load_delay;ms=5000"));
    ASSERT_TRUE(dmr->wait_for_requests(1, 5s));
    c.close();
    EXPECT_TRUE(dmr->wait_for_disconnect(3s)) << "the fake notices a client leaving while it 'loads'";
}

TEST_F(wire, event_timestamps_are_comment_lines)
{
    options.event_timestamps = true;
    start();
    auto before = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    raw_client c(dmr->port());
    c.send(stream_request());
    ASSERT_EQ(c.read_until("0\r\n\r\n", 5s), stream_end::open);
    std::string body;
    ASSERT_TRUE(mrb_test::dechunk(mrb_test::body_of(c.data()), body));
    std::size_t stamps = 0;
    for(std::size_t p = body.find(": t="); p != std::string::npos; p = body.find(": t=", p + 1))
    {
        ++stamps;
        auto t = std::stoll(body.substr(p + 4));
        EXPECT_GE(t, before);
        EXPECT_EQ(body.compare(body.find('\n', p) + 1, 6, "data: "), 0) << "the stamp precedes its event";
    }
    EXPECT_EQ(stamps, chat_events);
}

TEST_F(wire, instance_fault_applies_to_every_request)
{
    std::string err;
    dmr->set_fault(*parse_fault_header("status;code=500;body=boom", err));
    raw_client c(dmr->port());
    c.send(mrb_test::get("/"));
    ASSERT_EQ(c.read_until("boom", 5s), stream_end::open);
    EXPECT_TRUE(c.data().starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    dmr->clear_fault();
    raw_client d(dmr->port());
    d.send(mrb_test::get("/"));
    ASSERT_EQ(d.read_until("running", 5s), stream_end::open);
    EXPECT_TRUE(d.data().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_F(wire, bad_fault_header_is_a_400_naming_it)
{
    raw_client c(dmr->port());
    c.send(mrb_test::get("/", "x-fake-fault: explode\r\n"));
    ASSERT_EQ(c.read_until("explode'\n", 5s), stream_end::open);
    EXPECT_TRUE(c.data().starts_with("HTTP/1.1 400 Bad Request\r\n"));
}

// llama.cpp sends a stream's head only after the prompt is processed (docs/reference/
// dmr-failures.md §1): the head waits prompt_tokens / prefill_rate, on every request.
TEST_F(wire, prefill_withholds_the_head_on_every_request)
{
    options.prefill_rate = 4000; // tokens/s
    start();
    // (bytes of the messages JSON)/4 + 1 tokens: ~2,400 tokens -> ~600 ms.
    const std::string big = R"({"model":"ai/qwen2.5:7B-Q4_K_M","stream":true,"messages":[{"role":"user","content":")" +
                            std::string(9600, 'x') + R"("}]})";
    for(int i = 0; i < 2; ++i)
    {
        raw_client c(dmr->port());
        c.send(mrb_test::post("/engines/v1/chat/completions", big));
        ASSERT_EQ(c.read_until("0\r\n\r\n", 10s), stream_end::open);
        EXPECT_GE(c.pieces().front().at - c.started(), 580ms) << "request " << i;
    }
    // A small prompt under the same rate: a few tokens, a head within milliseconds' worth.
    raw_client s(dmr->port());
    s.send(stream_request());
    ASSERT_EQ(s.read_until("0\r\n\r\n", 5s), stream_end::open);
    EXPECT_LT(s.pieces().front().at - s.started(), 580ms);
}

TEST_F(wire, client_leaving_during_prefill_is_a_mid_response_disconnect)
{
    options.prefill_rate = 10; // tokens/s: the head would take minutes
    start();
    raw_client c(dmr->port());
    c.send(stream_request());
    ASSERT_TRUE(dmr->wait_for_requests(1, 5s));
    c.close();
    EXPECT_TRUE(dmr->wait_for_disconnect(3s));
}

// Go's MaxBytesReader: the 400 says Connection: close and the connection ends after it.
TEST_F(wire, request_too_large_answers_and_closes)
{
    options.max_body = 1000;
    start();
    raw_client c(dmr->port());
    c.send(mrb_test::post("/engines/v1/chat/completions", std::string(1500, ' ')));
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    auto head = mrb_test::head_of(c.data());
    EXPECT_TRUE(head.starts_with("HTTP/1.1 400 Bad Request\r\n")) << head;
    EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos) << head;
    EXPECT_EQ(mrb_test::body_of(c.data()), "request too large\n");
}

// DMR writes the 500 before a content type, so Go sniffs the JSON as text/plain, no nosniff.
TEST_F(wire, runner_died_is_a_sniffed_text_plain_500)
{
    raw_client c(dmr->port());
    c.send(stream_request("runner_died;message=llama.cpp%20exited"));
    ASSERT_EQ(c.read_until("\"sequence_number\":1}", 5s), stream_end::open);
    auto head = mrb_test::head_of(c.data());
    EXPECT_TRUE(head.starts_with("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nDate: ")) << head;
    EXPECT_EQ(head.find("nosniff"), std::string::npos) << head;
    EXPECT_EQ(mrb_test::body_of(c.data()),
              R"({"type":"error","code":null,"message":"llama.cpp exited","param":null,"sequence_number":1})");
}

// The inference answers carry llama.cpp's Server header; DMR's own answers do not.
TEST_F(wire, chat_answers_say_server_llama_cpp)
{
    raw_client c(dmr->port());
    c.send(stream_request());
    ASSERT_EQ(c.read_until("0\r\n\r\n", 5s), stream_end::open);
    EXPECT_NE(mrb_test::head_of(c.data()).find("\r\nServer: llama.cpp\r\n"), std::string::npos);
    raw_client d(dmr->port());
    d.send(mrb_test::get("/engines/v1/models"));
    ASSERT_EQ(d.read_until("}\n", 5s), stream_end::open);
    EXPECT_EQ(mrb_test::head_of(d.data()).find("Server:"), std::string::npos);
}
