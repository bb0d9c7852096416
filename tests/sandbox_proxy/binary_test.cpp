// The `fake-sandbox-proxy` program: ready line, flags, exit codes, a real curl through it.
#include "child_process.hpp"
#include "loopback_port.hpp"
#include "raw_client.hpp"
#include "scripted_upstream.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

namespace {

using namespace std::chrono_literals;
using mrb::test::child_process;
namespace step = mrb::test::step;

constexpr auto wait = 10s;

const std::string binary = FAKE_SANDBOX_PROXY_BINARY;

std::uint16_t
ready_port(child_process& p)
{
    auto m = p.wait_for_line(child_process::stream::out,
        std::regex(R"(^listening on 127\.0\.0\.1:(\d+)$)"), wait);
    if(!m)
        return 0;
    return static_cast<std::uint16_t>(std::stoi((*m)[1]));
}

TEST(fake_sandbox_proxy_binary, help_and_usage_errors)
{
    child_process help(binary, {"--help"});
    EXPECT_EQ(help.wait_exit(wait), 0);
    EXPECT_NE(help.text(child_process::stream::out).find("--allow-host"), std::string::npos);
    for(std::vector<std::string> bad : {std::vector<std::string>{"--policy", "maybe"},
            {"--allow-host", "a:b"}, {"--resolve", "nothing"}, {"--no-such-flag"},
            {"--config", "/nonexistent/x.json"}})
    {
        child_process p(binary, bad);
        EXPECT_EQ(p.wait_exit(wait), 2) << bad[0];
    }
}

TEST(fake_sandbox_proxy_binary, cannot_listen_exits_3)
{
    mrb::test::listening_socket busy;
    child_process p(binary, {"--port", std::to_string(busy.port())});
    EXPECT_EQ(p.wait_exit(wait), 3);
}

TEST(fake_sandbox_proxy_binary, curl_through_the_program_with_config_and_flags)
{
    mrb::test::scripted_upstream up({{step::read_request(),
        step::send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), step::stall()}});
    auto const dir = std::filesystem::temp_directory_path() /
        ("fake-sandbox-proxy-bin-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto const config = (dir / "proxy.json").string();
    auto const log = (dir / "network.log").string();
    std::ofstream(config) << R"({"port": 3128, "sandbox_name": "openclaw",
        "policy": {"mode": "deny"}})";

    child_process p(binary, {"--config", config, "--port", "0", "--allow-host",
        "localhost:" + std::to_string(up.port()), "--network-log", log});
    auto const port = ready_port(p);
    ASSERT_NE(port, 0) << p.text(child_process::stream::err);

    auto const curl = "curl -sS --max-time 20 -x http://127.0.0.1:" + std::to_string(port) +
        " http://localhost:" + std::to_string(up.port()) + "/models 2>&1";
    FILE* pipe = ::popen(curl.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buf[256];
    while(auto n = std::fread(buf, 1, sizeof buf, pipe))
        out.append(buf, n);
    EXPECT_EQ(::pclose(pipe), 0) << out;
    EXPECT_EQ(out, "hello");

    // Denied by the config's deny policy: curl shows the 403 body.
    mrb::test::raw_client c(port);
    ASSERT_TRUE(c.send("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"));
    auto r = c.read_response(wait);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);

    p.signal(SIGTERM);
    EXPECT_EQ(p.wait_exit(wait), 0);
    std::ifstream in(log);
    std::string l1, l2;
    std::getline(in, l1);
    std::getline(in, l2);
    EXPECT_NE(l1.find(" sandbox=openclaw request GET http://localhost:"), std::string::npos) << l1;
    EXPECT_EQ(l1.substr(l1.size() - 8), " allowed");
    EXPECT_NE(l2.find("request GET http://example.com/ denied"), std::string::npos) << l2;
    std::filesystem::remove_all(dir);
}

} // namespace
