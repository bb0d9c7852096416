// The server in-process (no child process): listen on port 0, relay one exchange, stop().
// A first stop() drains (an idle keep-alive connection closes, run() returns); a second one
// stops at once, cutting an exchange that would otherwise hold the drain for its 30 s timeout.
#include "net/access_log.hpp"
#include "net/server.hpp"

#include "raw_client.hpp"
#include "scripted_upstream.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <future>
#include <memory>

namespace {

using namespace std::chrono_literals;
using mrb::test::raw_client;
using mrb::test::scripted_upstream;
namespace step = mrb::test::step;

const std::string k_get = "GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

std::string ok_response(const std::string& body)
{
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

// A bridge in this process, direct to `target_port`, serving on its own thread.
class in_process_bridge
{
public:
    explicit in_process_bridge(std::uint16_t target_port)
    {
        config_.listen_host = "127.0.0.1";
        config_.listen_port = 0;
        config_.direct = true;
        config_.target_host = "127.0.0.1";
        config_.target_port = target_port;
        config_.threads = 2;
        log_ = std::make_unique<mrb::access_log>(mrb::log_format::json, mrb::log_level::info, log_file_);
        server_ = std::make_unique<mrb::server>(config_, *log_);
        server_->listen(false);
        done_ = std::async(std::launch::async, [this] { server_->run(); });
    }
    ~in_process_bridge()
    {
        if (server_ && done_.valid() && done_.wait_for(0s) != std::future_status::ready)
        {
            server_->stop();
            server_->stop();
            done_.wait();
        }
        server_.reset();
        std::fclose(log_file_);
    }
    mrb::server& server() { return *server_; }
    /// Destroys the server (after run() has returned): what the process's exit does.
    void destroy() { server_.reset(); }
    /// True once run() has returned.
    bool stopped_within(std::chrono::seconds timeout) { return done_.wait_for(timeout) == std::future_status::ready; }
    /// Everything logged so far.
    std::string log_text()
    {
        std::fflush(log_file_);
        std::rewind(log_file_);
        std::string out;
        char buf[4096];
        while (const auto n = std::fread(buf, 1, sizeof buf, log_file_))
            out.append(buf, n);
        return out;
    }

private:
    mrb::bridge_config config_;
    std::FILE* log_file_ = std::tmpfile();
    std::unique_ptr<mrb::access_log> log_;
    std::unique_ptr<mrb::server> server_;
    std::future<void> done_;
};

TEST(server_in_process, listens_on_port_zero_relays_and_a_stop_drains)
{
    scripted_upstream upstream({{step::read_request(), step::send(ok_response("{\"ok\":1}")), step::stall()}});
    in_process_bridge bridge(upstream.port());
    const std::uint16_t port = bridge.server().port();
    ASSERT_NE(port, 0) << "port() is the port actually bound";

    raw_client c(port);
    ASSERT_TRUE(c.send(k_get));
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"ok\":1}");
    EXPECT_FALSE(r->closed) << "keep-alive: the connection stays open after the exchange";

    bridge.server().stop();
    EXPECT_TRUE(c.wait_closed(10s)) << "a drain closes an idle keep-alive connection";
    ASSERT_TRUE(bridge.stopped_within(10s)) << "run() returns once nothing is in flight";
    EXPECT_FALSE(raw_client::try_connect(port)) << "the listening socket is closed";
    EXPECT_NE(bridge.log_text().find("\"status\":200"), std::string::npos) << bridge.log_text();
}

TEST(server_in_process, a_second_stop_cuts_an_exchange_in_flight)
{
    scripted_upstream upstream({{step::read_request(), step::stall()}});
    in_process_bridge bridge(upstream.port());
    raw_client c(bridge.server().port());
    ASSERT_TRUE(c.send(k_get));
    ASSERT_TRUE(upstream.wait_for_requests(1, 10s));

    bridge.server().stop(); // drains: the stalled exchange would hold it for the 30 s drain timeout
    bridge.server().stop();
    ASSERT_TRUE(bridge.stopped_within(10s)) << "a second stop() must not wait for the drain";
    bridge.destroy();
    EXPECT_TRUE(c.wait_closed(10s)) << "the cut exchange's client connection is closed";
    EXPECT_TRUE(upstream.wait_for_client_close(0, 10s)) << "and so is its upstream connection";
}

} // namespace
