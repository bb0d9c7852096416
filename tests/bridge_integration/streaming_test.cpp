// Streaming: event by event, bounded memory with a slow reader, cut streams, client disconnects.
#include "bridge_fixture.hpp"

#include <fstream>
#include <thread>

namespace mrb::test {
namespace {

/// Resident set of a process in bytes (0 if unreadable).
std::size_t rss_bytes(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    return 0;
}

TEST_F(bridge_test, relays_each_sse_event_before_the_upstream_sends_the_next)
{
    constexpr int events = 5;
    upstream_script script = {step::read_request(), step::send(sse_head())};
    for (int i = 1; i <= events; ++i) {
        script.push_back(step::gate());
        script.push_back(step::send(chunk(sse_event(i))));
    }
    script.push_back(step::gate());
    script.push_back(step::send(chunk("data: [DONE]\n\n") + k_last_chunk));
    start_upstream({script});
    ASSERT_TRUE(start_bridge());

    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    // The head must arrive before any event exists upstream.
    const auto head = c.read_head(5s);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status(), 200);
    EXPECT_EQ(head->get("Content-Type"), "text/event-stream");
    for (int i = 1; i <= events; ++i) {
        upstream_->release();
        // Event i must reach the client while the upstream is still held before event i+1.
        ASSERT_TRUE(c.read_body_until("\"tok" + std::to_string(i) + "\"", 3s)) << "event " << i << " not relayed; got: " << c.body();
        EXPECT_EQ(sse_events(c.body()).size(), static_cast<std::size_t>(i));
    }
    upstream_->release();
    c.read_body(5s);
    EXPECT_TRUE(c.body_complete());
    EXPECT_EQ(sse_events(c.body()).size(), static_cast<std::size_t>(events + 1));

    const auto entry = access(0);
    EXPECT_EQ(entry.value("sse_events", -1), events + 1);
    EXPECT_EQ(entry.value("bytes_out", -1), static_cast<int>(c.body().size()));
    EXPECT_EQ(entry.value("bytes_in", -1), static_cast<int>(k_chat_body.size()));
    EXPECT_GT(entry.value("ttfb_us", 0), 0);
    EXPECT_TRUE(entry.value("flags", nlohmann::json::array()).empty()) << entry;
}

TEST_F(bridge_test, relays_a_close_delimited_stream_and_ends_it_cleanly)
{
    // An upstream body without length or chunking ends at close: that end is clean, not a cut.
    start_upstream({{step::read_request(),
        step::send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + sse_event(1)),
        step::gate(), step::send(sse_event(2)), step::close()}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    ASSERT_TRUE(c.read_head(5s));
    ASSERT_TRUE(c.read_body_until("tok1", 3s));
    upstream_->release();
    c.read_body(5s);
    EXPECT_TRUE(c.body_complete()) << "a cleanly closed upstream body must end cleanly downstream";
    EXPECT_EQ(c.body(), sse_event(1) + sse_event(2));
}

TEST_F(bridge_test, slow_reader_keeps_bridge_memory_bounded_and_throttles_the_upstream)
{
    constexpr std::size_t total = 512ull << 20;  // far more than any sane buffering
    upstream_options small;
    small.send_buffer = 64 * 1024;
    start_upstream({{step::read_request(),
                       step::send("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                           + std::to_string(total) + "\r\n\r\n"),
                       step::send_bulk(total)}},
        {}, small);
    ASSERT_TRUE(start_bridge());
    const auto rss_before = rss_bytes(bridge_->process().pid());
    ASSERT_GT(rss_before, 0u);

    auto c = client(64 * 1024);
    ASSERT_TRUE(c.send(request("GET", "/big")));
    ASSERT_TRUE(c.read_head(5s));

    // The client reads nothing more: wait until the upstream cannot write any further.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::size_t last = 0;
    auto stable_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
        const auto now_sent = upstream_->connection(0).bytes_sent;
        if (now_sent != last) {
            last = now_sent;
            stable_since = std::chrono::steady_clock::now();
        } else if (now_sent > 0 && std::chrono::steady_clock::now() - stable_since > 500ms) {
            break;
        }
        std::this_thread::sleep_for(20ms);  // polling a counter; the deadline bounds the loop
    }
    const auto sent_while_stalled = upstream_->connection(0).bytes_sent;
    const auto rss_stalled = rss_bytes(bridge_->process().pid());
    EXPECT_GT(sent_while_stalled, 0u);
    // Kernel buffers on two loopback sockets account for tens of MB at most; the rest must wait.
    EXPECT_LT(sent_while_stalled, 128ull << 20) << "upstream was not throttled";
    EXPECT_LT(rss_stalled, rss_before + (48ull << 20)) << "bridge RSS grew from " << rss_before << " to " << rss_stalled;

    // Reading again lets the upstream continue: the stream was paused, not dropped.
    EXPECT_EQ(c.drain(16u << 20, 10s), 16u << 20);
    const auto resume_deadline = std::chrono::steady_clock::now() + 10s;
    while (upstream_->connection(0).bytes_sent == sent_while_stalled && std::chrono::steady_clock::now() < resume_deadline)
        c.drain(1u << 20, 100ms);
    EXPECT_GT(upstream_->connection(0).bytes_sent, sent_while_stalled);
}

struct cut_case {
    const char* name;
    std::string before_cut;  // response bytes sent before the upstream dies
    bool reset;              // RST, or else FIN
};

void PrintTo(const cut_case& c, std::ostream* os)
{
    *os << c.name;
}

class cut_stream : public bridge_test, public testing::WithParamInterface<cut_case> {};

TEST_P(cut_stream, reaches_the_client_as_a_cut_and_the_bridge_keeps_serving)
{
    const auto& p = GetParam();
    start_upstream({{step::read_request(), step::send(p.before_cut), p.reset ? step::reset() : step::close()}},
        {step::read_request(), step::send(ok_response("still here"))});
    ASSERT_TRUE(start_bridge());

    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r) << "no response head";
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body.find("tok1") != std::string::npos) << r->body;
    EXPECT_TRUE(r->cut) << "the client saw a clean end (or nothing) instead of a cut";
    EXPECT_FALSE(r->complete);
    const auto entry = access(0);
    EXPECT_TRUE(has_flag(entry, "UR")) << entry;

    auto c2 = client();
    ASSERT_TRUE(c2.send(request("GET", "/models")));
    const auto r2 = c2.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 200);
    EXPECT_EQ(r2->body, "still here");
}

INSTANTIATE_TEST_SUITE_P(bridge, cut_stream,
    testing::Values(cut_case{"chunked_reset", sse_head() + chunk(sse_event(1)), true},
        cut_case{"chunked_fin", sse_head() + chunk(sse_event(1)), false},
        cut_case{"content_length_fin",
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 100000\r\n\r\n" + sse_event(1), false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(bridge_test, client_disconnect_mid_stream_closes_the_upstream_within_100ms)
{
    // After one event the upstream goes quiet and just watches its socket (stall).
    start_upstream({{step::read_request(), step::send(sse_head() + chunk(sse_event(1))), step::stall()}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    ASSERT_TRUE(c.read_head(5s));
    ASSERT_TRUE(c.read_body_until("tok1", 5s));

    const auto closed_at = std::chrono::steady_clock::now();
    c.close();
    const auto seen = upstream_->wait_for_client_close(0, 2s);
    ASSERT_TRUE(seen) << "the bridge kept the upstream connection open";
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(*seen - closed_at).count(), 100);
    EXPECT_TRUE(has_flag(access(0), "DC"));
}

TEST_F(bridge_test, client_disconnect_mid_request_body_closes_the_upstream_within_100ms)
{
    start_upstream({{step::read_request(), step::send(ok_response())}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send("POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{\"model\":"));
    // The head and the first body bytes are streamed on before the body is complete.
    ASSERT_TRUE(upstream_->wait_for_received("{\"model\":", 5s));
    const auto closed_at = std::chrono::steady_clock::now();
    c.close();
    const auto seen = upstream_->wait_for_client_close(0, 2s);
    ASSERT_TRUE(seen) << "the bridge kept the upstream connection open";
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(*seen - closed_at).count(), 100);
    EXPECT_TRUE(has_flag(access(0), "DC"));
}

}  // namespace
}  // namespace mrb::test
