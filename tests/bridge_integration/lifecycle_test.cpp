// Process lifecycle and hygiene: graceful drain, second signal, port in use, non-loopback
// warning, no credential values in any log line.
#include "bridge_fixture.hpp"
#include "loopback_port.hpp"

#include <signal.h>

#include <openssl/evp.h>

#include <thread>

namespace mrb::test {
namespace {

/// Waits until nothing accepts on 127.0.0.1:port any more (the listener was closed).
testing::AssertionResult wait_listener_closed(std::uint16_t port, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int error = 0;
        if (!raw_client::try_connect(port, &error) && error == ECONNREFUSED)
            return testing::AssertionSuccess();
        std::this_thread::sleep_for(10ms);  // polling the listener; bounded by the deadline
    }
    return testing::AssertionFailure() << "127.0.0.1:" << port << " still accepts connections";
}

/// A gated SSE stream of `events` events and a final last-chunk.
upstream_script gated_stream(int events)
{
    upstream_script s = {step::read_request(), step::send(sse_head() + chunk(sse_event(1)))};
    for (int i = 2; i <= events; ++i) {
        s.push_back(step::gate());
        s.push_back(step::send(chunk(sse_event(i))));
    }
    s.push_back(step::gate());
    s.push_back(step::send(k_last_chunk));
    return s;
}

TEST_F(bridge_test, sigterm_stops_accepting_drains_the_live_stream_and_exits_zero)
{
    start_upstream({gated_stream(3)});
    ASSERT_TRUE(start_bridge({"--drain-timeout", "20s"}));
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    ASSERT_TRUE(c.read_head(5s));
    ASSERT_TRUE(c.read_body_until("tok1", 5s));

    ASSERT_TRUE(bridge_->process().signal(SIGTERM));
    EXPECT_TRUE(wait_listener_closed(bridge_->port(), 5s));
    EXPECT_FALSE(bridge_->process().exit_status()) << "exited before the stream finished";

    upstream_->release(3);
    c.read_body(5s);
    EXPECT_TRUE(c.body_complete()) << "the stream was cut instead of drained: " << c.body();
    EXPECT_EQ(sse_events(c.body()).size(), 3u);
    EXPECT_EQ(bridge_->process().wait_exit(10s), 0);
    const auto log = bridge_->access_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].value("sse_events", -1), 3);
}

TEST_F(bridge_test, drain_timeout_bounds_the_wait_for_a_stream_that_never_ends)
{
    start_upstream({gated_stream(3)});
    ASSERT_TRUE(start_bridge({"--drain-timeout", "500ms"}));
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    ASSERT_TRUE(c.read_head(5s));
    ASSERT_TRUE(c.read_body_until("tok1", 5s));
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(bridge_->process().signal(SIGTERM));
    EXPECT_EQ(bridge_->process().wait_exit(5s), 0);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 400ms) << "did not wait for the stream at all";
    c.read_body(2s);
    EXPECT_TRUE(c.body_cut()) << "an unfinished stream must end as a cut";
}

TEST_F(bridge_test, second_signal_stops_at_once)
{
    start_upstream({gated_stream(3)});
    ASSERT_TRUE(start_bridge({"--drain-timeout", "60s"}));
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    ASSERT_TRUE(c.read_head(5s));
    ASSERT_TRUE(c.read_body_until("tok1", 5s));

    ASSERT_TRUE(bridge_->process().signal(SIGTERM));
    ASSERT_TRUE(wait_listener_closed(bridge_->port(), 5s));
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(bridge_->process().signal(SIGINT));
    EXPECT_TRUE(bridge_->process().wait_exit(3s)) << "still running after the second signal";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    c.read_body(2s);
    EXPECT_TRUE(c.body_cut());
}

TEST(bridge_process_contract, port_in_use_is_one_line_and_exit_code_3)
{
    listening_socket busy;
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.listen = "127.0.0.1:" + std::to_string(busy.port());
    o.json_log = false;
    o.args = {"--proxy", "http://127.0.0.1:3128", "--target", k_target};
    o.ready_timeout = 5s;
    bridge_process bridge(o);
    EXPECT_FALSE(bridge.start());
    EXPECT_EQ(bridge.process().wait_exit(5s), 3);
    std::vector<std::string> lines;
    for (const auto& l : bridge.process().lines(child_process::stream::err))
        if (!l.empty())
            lines.push_back(l);
    ASSERT_EQ(lines.size(), 1u) << bridge.output();
    EXPECT_NE(lines[0].find(std::to_string(busy.port())), std::string::npos) << lines[0];
    EXPECT_TRUE(bridge.process().lines(child_process::stream::out).empty()) << bridge.output();
}

bool has_warning(const std::vector<nlohmann::json>& entries)
{
    for (const auto& e : entries) {
        const auto level = e.value("level", "");
        if (level.rfind("warn", 0) == 0)
            return true;
    }
    return false;
}

TEST(bridge_process_contract, non_loopback_listen_prints_a_warning)
{
    // 192.0.2.1 (TEST-NET-1) is not on this machine: the bridge never actually listens there,
    // but the warning is about the configuration and must come first.
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.listen = "192.0.2.1:0";
    o.args = {"--proxy", "http://127.0.0.1:3128", "--target", k_target};
    o.ready_timeout = 5s;
    bridge_process bridge(o);
    EXPECT_FALSE(bridge.start());
    EXPECT_TRUE(bridge.process().wait_exit(5s));
    EXPECT_TRUE(has_warning(bridge.log_entries())) << bridge.output();
}

TEST(bridge_process_contract, loopback_listen_prints_no_warning)
{
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.args = {"--proxy", "http://127.0.0.1:3128", "--target", k_target};
    bridge_process bridge(o);
    ASSERT_TRUE(bridge.start());
    // Start-up warnings come before the ready line.
    EXPECT_FALSE(has_warning(bridge.log_entries())) << bridge.output();
}

TEST(bridge_process_contract, sigterm_right_after_the_ready_line_is_a_graceful_stop)
{
    // Whoever reads the ready line may stop the bridge at once (a test, a supervisor): the
    // signal handling must already be in place, so the exit is a clean 0, not death by SIGTERM.
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.args = {"--proxy", "http://127.0.0.1:3128", "--target", k_target};
    bridge_process bridge(o);
    ASSERT_TRUE(bridge.start());
    ASSERT_TRUE(bridge.process().signal(SIGTERM));
    EXPECT_EQ(bridge.process().wait_exit(10s), 0) << bridge.output();
}

std::string base64(const std::string& in)
{
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
        reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string with_deny()
{
    const std::string body = "Blocked by network policy: domain localhost:12434\n";
    return "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
        + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class credential_hygiene : public bridge_test, public testing::WithParamInterface<const char*> {};

TEST_P(credential_hygiene, no_log_line_contains_a_credential_value)
{
    const std::string auth = "sk-AUTH-SECRET-91c2";
    const std::string api_key = "XAPI-SECRET-55d1";
    const std::string client_proxy = "CLIENT-PROXY-SECRET-0a7e";
    const std::string proxy_pass = "PROXY-PASS-7f3a";
    const std::string secret_headers = "Authorization: Bearer " + auth + "\r\nx-api-key: " + api_key
        + "\r\nProxy-Authorization: Basic " + base64("client:" + client_proxy) + "\r\n";

    start_upstream({{step::read_request(), step::send(ok_response()), step::read_request(),
        step::send(with_deny()), step::close()}},
        {step::read_request(), step::reset()});
    auto o = options({"--log-level", "debug"});
    o.args[1] = "http://bridge-user:" + proxy_pass + "@127.0.0.1:" + std::to_string(upstream_->port());
    o.json_log = std::string(GetParam()) == "json";
    ASSERT_TRUE(start_bridge(o));

    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models", secret_headers)));  // relayed
    ASSERT_TRUE(c.read_response(5s));
    ASSERT_TRUE(c.send(request("GET", "/models", secret_headers)));  // denied by the proxy
    ASSERT_TRUE(c.read_response(5s));
    auto c2 = client();
    ASSERT_TRUE(c2.send(request("GET", "/models", secret_headers)));  // proxy resets: 502
    ASSERT_TRUE(c2.read_response(5s));
    auto c3 = client();
    ASSERT_TRUE(c3.send(request("GET", "/models", secret_headers + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n")));
    ASSERT_TRUE(c3.read_response(5s));  // refused: 400

    ASSERT_TRUE(bridge_->process().signal(SIGTERM));
    ASSERT_TRUE(bridge_->process().wait_exit(10s));
    const auto everything = bridge_->output();
    for (const auto& secret : {auth, api_key, client_proxy, proxy_pass, base64("client:" + client_proxy),
             base64("bridge-user:" + proxy_pass)})
        EXPECT_EQ(everything.find(secret), std::string::npos) << "log contains " << secret;
    // The proxy did get the bridge's own credentials.
    ASSERT_FALSE(upstream_->requests().empty());
    EXPECT_EQ(parse_head(upstream_->requests()[0])->get("Proxy-Authorization"), "Basic " + base64("bridge-user:" + proxy_pass));
}

INSTANTIATE_TEST_SUITE_P(bridge, credential_hygiene, testing::Values("json", "text"));

}  // namespace
}  // namespace mrb::test
