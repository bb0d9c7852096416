#include "fake_model_runner.hpp"
#include "raw_client.hpp"

#include <http_kit/wait_until.hpp>

#include <gtest/gtest.h>

#include <atomic>

using namespace fakes::model_runner;
using namespace std::chrono_literals;
using mrb_test::raw_client;
using mrb_test::stream_end;

TEST(recorder, records_method_target_headers_in_order_and_body)
{
    fake_model_runner dmr;
    dmr.start();
    raw_client c(dmr.port());
    std::string body = R"({"model":"smollm2","messages":[{"role":"user","content":"hi"}]})";
    c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost:12434\r\nX-Zeta: 1\r\nauthorization: Bearer not-needed\r\n"
           "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(dmr.wait_for_requests(1, 5s));
    auto r = dmr.requests().at(0);
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/v1/chat/completions");
    ASSERT_EQ(r.headers.size(), 5u);
    EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Host", "localhost:12434"}));
    EXPECT_EQ(r.headers[1].first, "X-Zeta");
    EXPECT_EQ(r.headers[2].first, "authorization");
    EXPECT_EQ(r.body, body);
    EXPECT_EQ(r.connection, 1u);
}

TEST(recorder, wait_for_requests_fails_with_a_message_on_timeout)
{
    fake_model_runner dmr;
    dmr.start();
    auto r = dmr.wait_for_requests(1, 50ms);
    EXPECT_FALSE(r);
    EXPECT_NE(std::string(r.message()).find("got 0"), std::string::npos) << r.message();
    EXPECT_FALSE(dmr.wait_for_disconnect(20ms));
}

TEST(recorder, client_disconnect_mid_stream_is_recorded_with_its_time)
{
    runner_options o;
    o.token_interval = 50ms;
    fake_model_runner dmr(o);
    dmr.start();
    auto before = std::chrono::system_clock::now();
    {
        raw_client c(dmr.port());
        c.send(mrb_test::post("/v1/chat/completions",
                              R"({"model":"smollm2","stream":true,"messages":[{"role":"user","content":"a b c d e f g h i j k l"}]})"));
        ASSERT_EQ(c.read_until("data: ", 5s), stream_end::open);
    } // the client goes away mid-stream
    ASSERT_TRUE(dmr.wait_for_disconnect(5s));
    auto d = dmr.disconnects();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_TRUE(d[0].mid_response);
    EXPECT_EQ(d[0].requests, 1u);
    EXPECT_GE(d[0].at, before);
}

TEST(recorder, idle_keepalive_close_is_a_disconnect_but_not_mid_response)
{
    fake_model_runner dmr;
    dmr.start();
    {
        raw_client c(dmr.port());
        c.send(mrb_test::get("/"));
        ASSERT_EQ(c.read_until("running", 5s), stream_end::open);
    }
    ASSERT_TRUE(dmr.wait_for_disconnects(1, 5s));
    EXPECT_FALSE(dmr.disconnects()[0].mid_response);
    EXPECT_FALSE(dmr.wait_for_disconnect(20ms));
}

TEST(recorder, stop_closes_connections_and_keeps_recordings)
{
    runner_options o;
    fake_model_runner dmr(o);
    dmr.start();
    raw_client c(dmr.port());
    c.send(mrb_test::post("/v1/chat/completions", R"({"model":"smollm2","stream":true,"messages":[]})",
                          "x-fake-fault: timeout\r\n"));
    ASSERT_TRUE(dmr.wait_for_requests(1, 5s));
    dmr.stop();
    dmr.stop();
    EXPECT_EQ(c.read_to_end(5s), stream_end::eof);
    EXPECT_EQ(dmr.requests().size(), 1u);
}

TEST(http_kit, wait_until_reports_what_it_waited_for)
{
    std::atomic<int> n{0};
    EXPECT_TRUE(fakes::http_kit::wait_until([&] { return ++n >= 3; }, 1s, "three polls"));
    auto r = fakes::http_kit::wait_until([] { return false; }, 20ms, "the impossible");
    EXPECT_FALSE(r);
    EXPECT_NE(std::string(r.message()).find("the impossible"), std::string::npos);
}

TEST(concurrency, many_concurrent_streams)
{
    // A scaled-down version of the 10k-stream requirement that fits a unit-test budget:
    // 500 streams held open at once, all answered completely.
    runner_options o;
    o.token_interval = 20ms;
    fake_model_runner dmr(o);
    dmr.start();
    constexpr int n = 500;
    std::vector<std::unique_ptr<raw_client>> clients;
    for(int i = 0; i < n; ++i)
    {
        clients.push_back(std::make_unique<raw_client>(dmr.port()));
        clients.back()->send(mrb_test::post("/v1/chat/completions",
                                            R"({"model":"smollm2","stream":true,"messages":[{"role":"user","content":"x y"}]})"));
    }
    ASSERT_TRUE(dmr.wait_for_requests(n, 10s));
    EXPECT_TRUE(fakes::http_kit::wait_until([&] { return dmr.connections_open() == n; }, 5s, "all connections open"));
    for(auto& c : clients)
        ASSERT_EQ(c->read_until("0\r\n\r\n", 20s), stream_end::open);
}

TEST(recorder, keeps_the_last_n_requests_but_counts_all)
{
    recorder r(2);
    for(int i = 0; i < 5; ++i)
    {
        recorded_request q;
        q.target = "/" + std::to_string(i);
        r.add_request(q);
    }
    EXPECT_EQ(r.request_count(), 5u);
    auto kept = r.requests();
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[0].target, "/3");
    EXPECT_EQ(kept[1].target, "/4");
    EXPECT_TRUE(r.wait_for_requests(5, std::chrono::milliseconds(0)));
}

TEST(recorder, expect_100_continue_is_answered_before_the_body)
{
    fake_model_runner dmr;
    dmr.start();
    raw_client c(dmr.port());
    std::string body = R"({"model":"smollm2","messages":[{"role":"user","content":"hi"}]})";
    c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");
    ASSERT_EQ(c.read_until("\r\n\r\n", 5s), stream_end::open);
    EXPECT_EQ(c.data(), "HTTP/1.1 100 Continue\r\n\r\n");
    c.send(body);
    ASSERT_EQ(c.read_until("Echo: hi", 5s), stream_end::open);
}
