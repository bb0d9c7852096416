// Issue 10 item 8: connections that trickle request heads (or sit idle in keep-alive) must not
// lock legitimate clients out once --max-connections is reached. A new connection takes the
// place of one that only waits for a request head; a connection mid-exchange is never evicted.
#include "bridge_fixture.hpp"

#include <optional>

namespace mrb::test {
namespace {

const std::string k_slow_head = "GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

TEST_F(bridge_test, slow_head_flood_does_not_lock_out_a_legitimate_request)
{
    constexpr std::size_t max_connections = 512; // the default
    constexpr std::size_t slow = 600;            // the issue's flood
    upstream_script stream = {step::read_request(), step::send(sse_head() + chunk(sse_event(1))), step::gate(),
        step::send(chunk(sse_event(2)) + k_last_chunk)};
    upstream_script upload = {step::read_request(), step::send(ok_response("upload"))};
    start_upstream({stream, upload}, {step::read_request(), step::send(ok_response("legit")), step::stall()});
    ASSERT_TRUE(start_bridge());

    // Two exchanges in progress: a stream being answered, and a request body half sent.
    auto streaming = client();
    ASSERT_TRUE(streaming.send(chat_request()));
    ASSERT_TRUE(streaming.read_head(5s));
    ASSERT_TRUE(streaming.read_body_until("tok1", 5s));
    auto uploading = client();
    ASSERT_TRUE(uploading.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n012"));
    ASSERT_TRUE(upstream_->wait_for_received("012", 5s));

    // The flood: partial heads, then a byte now and then.
    std::vector<std::optional<raw_client>> heads(slow);
    for (auto& h : heads) {
        h.emplace(bridge_->port());
        h->send(k_slow_head);
    }
    for (int round = 0; round < 2; ++round)
        for (auto& h : heads)
            h->send("a");

    const auto t0 = std::chrono::steady_clock::now();
    auto legit = client();
    ASSERT_TRUE(legit.send(request("GET", "/models")));
    const auto r = legit.read_response(5s);
    const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    ASSERT_TRUE(r) << "no answer while " << slow << " slow heads are open";
    std::cerr << "legitimate request answered in " << latency.count() << " ms with " << slow
              << " slow heads open\n";
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "legit");

    // At least (2 + slow + 1) - max connections were evicted to make room, all of them slow
    // heads, oldest first (nearest their header deadline).
    const std::size_t must_evict = 2 + slow + 1 - max_connections;
    std::vector<std::size_t> evicted;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
        evicted.clear();
        for (std::size_t i = 0; i < slow; ++i)
            if (heads[i]->peer_closed() || heads[i]->wait_closed(2ms)) // (1 ms rounds down to none)
                evicted.push_back(i);
    } while (evicted.size() < must_evict && std::chrono::steady_clock::now() < deadline);
    EXPECT_GE(evicted.size(), must_evict);
    for (const auto i : evicted)
        EXPECT_LT(i, slow / 2) << "slow head #" << i << " was evicted before older ones";

    // The exchanges in progress were never touched.
    ASSERT_TRUE(uploading.send("3456789"));
    const auto up = uploading.read_response(5s);
    ASSERT_TRUE(up);
    EXPECT_EQ(up->body, "upload");
    upstream_->release();
    streaming.read_body(5s);
    EXPECT_TRUE(streaming.body_complete());
    EXPECT_NE(streaming.body().find("tok2"), std::string::npos);

    bool logged = false;
    for (const auto& e : bridge_->log_entries())
        logged = logged || e.value("msg", "") == "connection limit reached";
    EXPECT_TRUE(logged);
}

TEST_F(bridge_test, idle_keep_alive_connection_on_another_worker_makes_room_for_a_new_one)
{
    upstream_script stream = {step::read_request(), step::send(sse_head() + chunk(sse_event(1))), step::gate(),
        step::send(chunk(sse_event(2)) + k_last_chunk)};
    start_upstream({stream}, {step::read_request(), step::send(ok_response("ok")), step::stall()});
    // Connections are dealt out in turn: the stream and the new one land on worker 0, the idle
    // one on worker 1, so the room is found by asking the other worker.
    ASSERT_TRUE(start_bridge({"--max-connections", "2", "--threads", "2"}));

    auto streaming = client();
    ASSERT_TRUE(streaming.send(chat_request()));
    ASSERT_TRUE(streaming.read_head(5s));
    ASSERT_TRUE(streaming.read_body_until("tok1", 5s));
    auto idle = client();
    ASSERT_TRUE(idle.send(request("GET", "/models")));
    ASSERT_TRUE(idle.read_response(5s)); // now idle in keep-alive

    auto fresh = client();
    ASSERT_TRUE(fresh.send(request("GET", "/models")));
    const auto r = fresh.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_TRUE(idle.wait_closed(5s)) << "the idle keep-alive connection should have made room";

    upstream_->release();
    streaming.read_body(5s);
    EXPECT_TRUE(streaming.body_complete()) << "a stream in progress was evicted";
}

}  // namespace
}  // namespace mrb::test
