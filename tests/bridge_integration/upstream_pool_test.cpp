// Issue 10 item 7: pooled proxy connections are closed on time, without waiting for the pool's
// next use: at once when the proxy closes them (no CLOSE-WAIT), and after
// --upstream-idle-timeout when they sit idle.
#include "bridge_fixture.hpp"

namespace mrb::test {
namespace {

TEST_F(bridge_test, pooled_connection_the_proxy_closes_is_closed_at_once)
{
    // The proxy answers, then sends FIN and waits to see the bridge's FIN in return.
    start_upstream({{step::read_request(), step::send(ok_response("a")), step::half_close(), step::stall()}},
        {step::read_request(), step::send(ok_response("b")), step::stall()});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "a");
    // Nothing else happens on the bridge: only its own watch on the pooled socket can answer.
    const auto closed = upstream_->wait_for_client_close(0, 5s);
    EXPECT_TRUE(closed) << "the bridge left the proxy's closed connection open (CLOSE-WAIT)";

    // The next request goes out on a fresh connection and succeeds.
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r2 = c.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "b");
    const auto e = access(1);
    EXPECT_FALSE(e.value("upstream_reused", true));
    EXPECT_TRUE(e["flags"].empty()) << e.dump();
}

TEST_F(bridge_test, idle_pooled_connection_is_closed_after_the_upstream_idle_timeout)
{
    start_upstream({{step::read_request(), step::send(ok_response("a")), step::stall()}},
        {step::read_request(), step::send(ok_response("b")), step::stall()});
    ASSERT_TRUE(start_bridge({"--upstream-idle-timeout", "500ms"}));
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    const auto answered = std::chrono::steady_clock::now();
    // No further traffic: the pool's own timer must close it.
    const auto closed = upstream_->wait_for_client_close(0, 10s);
    ASSERT_TRUE(closed) << "the idle pooled connection outlived --upstream-idle-timeout";
    const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(*closed - answered);
    std::cerr << "pooled connection closed after " << idle.count() << " ms idle\n";
    EXPECT_GE(idle, 400ms); // not before the timeout (less a little for when the pool took it)

    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r2 = c.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "b");
    EXPECT_EQ(upstream_->connection_count(), 2u);
}

TEST_F(bridge_test, pooled_connection_that_receives_junk_is_closed_and_never_reused)
{
    // Bytes nobody asked for arrive on an idle pooled connection.
    start_upstream({{step::read_request(), step::send(ok_response("a")), step::delay(100ms),
                        step::send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nPOISON"), step::stall()}},
        {step::read_request(), step::send(ok_response("b")), step::stall()});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    ASSERT_TRUE(c.read_response(5s));
    EXPECT_TRUE(upstream_->wait_for_client_close(0, 5s)) << "the connection carrying junk stayed pooled";
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r2 = c.read_response(5s);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, "b");
}

}  // namespace
}  // namespace mrb::test
