// The admin listener in-process: port 0, the three routes, 404/405, HEAD, and that a slow
// handler on the admin thread answers in turn (one request per connection, Connection: close).
#include "core/admin_routes.hpp"
#include "net/admin_server.hpp"
#include "net/process_figures.hpp"
#include "net/server.hpp"

#include "raw_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace mrb {
namespace {

using namespace std::chrono_literals;

TEST(admin_routes, paths_and_methods)
{
    EXPECT_EQ(route_admin("GET", "/healthz"), admin_endpoint::healthz);
    EXPECT_EQ(route_admin("HEAD", "/readyz"), admin_endpoint::readyz);
    EXPECT_EQ(route_admin("GET", "/metrics?name[]=x"), admin_endpoint::metrics);
    EXPECT_EQ(route_admin("GET", "/status"), admin_endpoint::status);
    EXPECT_EQ(route_admin("POST", "/metrics"), admin_endpoint::method_not_allowed);
    EXPECT_EQ(route_admin("GET", "/engines/v1/models"), admin_endpoint::not_found);
    EXPECT_EQ(route_admin("GET", "/metrics/"), admin_endpoint::not_found);
    EXPECT_EQ(route_admin("DELETE", "/nothing"), admin_endpoint::not_found);
}

TEST(admin_routes, readiness_says_which_hop_and_the_fix)
{
    const admin_reply ready = readiness_reply({true, "", "", ""});
    EXPECT_EQ(ready.status, 200u);
    EXPECT_EQ(ready.body, "{\"ready\":true}\n");
    const admin_reply denied = readiness_reply({false, "proxy", "the proxy denies localhost:12434", "docker sandbox network proxy ..."});
    EXPECT_EQ(denied.status, 503u);
    EXPECT_NE(denied.body.find("\"hop\":\"proxy\""), std::string::npos);
    EXPECT_NE(denied.body.find("\"fix\":\"docker sandbox network proxy ...\""), std::string::npos);
}

std::string get(std::uint16_t port, const std::string& request_line, int* status = nullptr,
                test::http_response* out = nullptr, bool head = false)
{
    test::raw_client c(port);
    EXPECT_TRUE(c.send(request_line + "\r\nHost: 127.0.0.1\r\n\r\n"));
    auto r = c.read_response(10s, head);
    if(!r)
        return "<no response>";
    if(status)
        *status = r->status;
    EXPECT_TRUE(c.wait_closed(10s)) << "one request per connection";
    if(out)
        *out = *r;
    return r->body;
}

TEST(admin_server, answers_the_routes_on_its_own_thread)
{
    std::atomic<int> calls{0};
    admin_server admin("127.0.0.1", 0, [&](admin_endpoint e) -> admin_reply {
        ++calls;
        switch(e)
        {
        case admin_endpoint::healthz: return {200, "text/plain; charset=utf-8", "ok\n"};
        case admin_endpoint::readyz: return readiness_reply({false, "proxy", "down", "start it"});
        case admin_endpoint::metrics: return {200, std::string(prometheus_content_type), "x_total 1\n"};
        default: return admin_error(e);
        }
    });
    admin.listen();
    ASSERT_NE(admin.port(), 0);
    admin.start();
    int status = 0;
    EXPECT_EQ(get(admin.port(), "GET /healthz HTTP/1.1", &status), "ok\n");
    EXPECT_EQ(status, 200);
    test::http_response r;
    EXPECT_EQ(get(admin.port(), "GET /metrics HTTP/1.1", &status, &r), "x_total 1\n");
    EXPECT_EQ(r.head.get("Content-Type").value_or(""), prometheus_content_type);
    get(admin.port(), "GET /readyz HTTP/1.1", &status);
    EXPECT_EQ(status, 503);
    EXPECT_EQ(calls.load(), 3);
    get(admin.port(), "GET /v1/models HTTP/1.1", &status);
    EXPECT_EQ(status, 404);
    get(admin.port(), "POST /metrics HTTP/1.1", &status);
    EXPECT_EQ(status, 405);
    EXPECT_EQ(calls.load(), 3) << "404 and 405 are answered without the handler";
    EXPECT_EQ(get(admin.port(), "HEAD /healthz HTTP/1.1", &status, nullptr, true), "");
    EXPECT_EQ(status, 200);
    const std::uint16_t port = admin.port();
    admin.stop();
    EXPECT_FALSE(test::raw_client::try_connect(port).has_value()) << "stopped: nothing listens";
}

TEST(admin_server, a_port_in_use_is_a_listen_error)
{
    admin_server first("127.0.0.1", 0, [](admin_endpoint e) { return admin_error(e); });
    first.listen();
    admin_server second("127.0.0.1", first.port(), [](admin_endpoint e) { return admin_error(e); });
    EXPECT_THROW(second.listen(), listen_error);
    admin_server bad("not-an-address", 0, [](admin_endpoint e) { return admin_error(e); });
    EXPECT_THROW(bad.listen(), listen_error);
}

TEST(process_figures, reads_this_process)
{
    const process_figures f = read_process_figures();
    EXPECT_GT(f.resident_bytes, 1024u * 1024);
    EXPECT_GE(f.open_fds, 3u);
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_LE(f.start_time_seconds, now + 1);
    EXPECT_GT(f.start_time_seconds, now - 24 * 3600.0 * 365) << "started in the last year, not at the epoch";
}

} // namespace
} // namespace mrb
