// Loopback checks of the helpers themselves, so a failing bridge test points at the bridge.
#include "child_process.hpp"
#include "loopback_port.hpp"
#include "raw_client.hpp"
#include "scripted_upstream.hpp"
#include "squid_instance.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

namespace mrb::test {
namespace {

using namespace std::chrono_literals;

TEST(child_process, captures_lines_and_exit_code)
{
    child_process p("/bin/sh", {"-c", "echo ready 42; echo oops >&2; exit 7"});
    const auto m = p.wait_for_line(child_process::stream::out, std::regex("ready ([0-9]+)"), 5s);
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)[1], "42");
    EXPECT_EQ(p.wait_exit(5s), 7);
    EXPECT_EQ(p.lines(child_process::stream::err), std::vector<std::string>{"oops"});
}

TEST(child_process, applies_environment_changes)
{
    child_process p("/bin/sh", {"-c", "echo \"[$MRB_A][${HOME:-unset}]\""}, {{"MRB_A", "x"}, {"HOME", std::nullopt}});
    ASSERT_EQ(p.wait_exit(5s), 0);
    EXPECT_EQ(p.lines(child_process::stream::out), std::vector<std::string>{"[x][unset]"});
}

TEST(child_process, reports_death_by_signal)
{
    child_process p("/bin/sh", {"-c", "echo up; exec sleep 30"});
    ASSERT_TRUE(p.expect_line(child_process::stream::out, std::regex("up"), 5s));
    EXPECT_TRUE(p.signal(SIGTERM));
    EXPECT_EQ(p.wait_exit(5s), 128 + SIGTERM);
}

TEST(child_process, inherits_no_descriptor_but_stdio)
{
    // Asio opens sockets without FD_CLOEXEC; a child must not keep them alive.
    const int fd = ::dup(2); // no FD_CLOEXEC on the duplicate
    ASSERT_GE(fd, 3);
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    child_process p("/bin/sh", {"-c", "if [ -e " + path + " ]; then echo leaked; else echo clean; fi"});
    EXPECT_EQ(p.wait_exit(5s), 0);
    ::close(fd);
    EXPECT_EQ(p.lines(child_process::stream::out), std::vector<std::string>{"clean"});
}

TEST(scripted_upstream, records_requests_and_serves_keep_alive)
{
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    scripted_upstream up({{step::read_request(), step::send(ok), step::read_request(), step::send(ok), step::close()}});
    raw_client c(up.port());
    ASSERT_TRUE(c.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
    auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
    EXPECT_TRUE(r->complete);
    ASSERT_TRUE(c.send("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"));
    r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "ok");
    ASSERT_TRUE(up.wait_for_requests(2, 5s));
    const auto reqs = up.requests();
    EXPECT_EQ(reqs[0], "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    EXPECT_EQ(reqs[1].substr(reqs[1].size() - 13), "3\r\nxyz\r\n0\r\n\r\n");
    EXPECT_TRUE(c.wait_closed(5s));
}

TEST(scripted_upstream, reset_mid_chunked_body_is_a_cut_for_the_client)
{
    scripted_upstream up({{step::read_request(),
        step::send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"), step::reset()}});
    raw_client c(up.port());
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "hello");
    EXPECT_TRUE(r->cut);
    EXPECT_FALSE(r->complete);
}

TEST(scripted_upstream, gates_hold_the_script_and_client_close_is_timed)
{
    scripted_upstream up({{step::read_request(), step::gate(), step::send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1")}});
    raw_client c(up.port());
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_FALSE(c.read_response(100ms));  // held by the gate
    up.release();
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "1");
    const auto closed_at = std::chrono::steady_clock::now();
    c.close();
    const auto seen = up.wait_for_client_close(0, 5s);
    ASSERT_TRUE(seen);
    EXPECT_LT(*seen - closed_at, 100ms);
}

TEST(squid_instance, relays_allowed_and_denies_other_ports)
{
    scripted_upstream origin({{step::read_request(), step::send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")}});
    squid_options o;
    o.allowed_ports = {origin.port()};
    squid_instance squid(o);
    ASSERT_TRUE(squid.start());

    raw_client c(squid.port());
    ASSERT_TRUE(c.send("GET http://127.0.0.1:" + std::to_string(origin.port()) + "/v1/models HTTP/1.1\r\nHost: 127.0.0.1:"
        + std::to_string(origin.port()) + "\r\n\r\n"));
    auto r = c.read_response(10s);
    ASSERT_TRUE(r) << squid.cache_log();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
    ASSERT_TRUE(origin.wait_for_requests(1, 5s));
    EXPECT_EQ(origin.requests()[0].rfind("GET /v1/models HTTP/1.1\r\n", 0), 0u);

    const auto denied_port = std::to_string(unused_loopback_port());
    ASSERT_TRUE(c.send("GET http://127.0.0.1:" + denied_port + "/ HTTP/1.1\r\nHost: 127.0.0.1:" + denied_port + "\r\n\r\n"));
    r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->head.get("X-Squid-Error").value_or("").rfind("ERR_ACCESS_DENIED", 0), 0u);
}

}  // namespace
}  // namespace mrb::test
