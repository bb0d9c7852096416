// Every program of the project keeps the same command-line convention (issue 12 part 5): --version,
// a mistyped flag is one line + exit 2 with a suggestion, durations in 500ms/30s/5m, a port in use
// is one line. Runs the built binaries as processes.
#include "child_process.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

using namespace std::chrono_literals;
using mrb::test::child_process;
using stream = child_process::stream;

namespace
{

constexpr auto generous = 30s; // ASan on a loaded box

struct program
{
    const char* name;
    const char* path;
    const char* typo;       // a mistyped flag
    const char* suggestion; // what "did you mean" must offer, or nullptr
};

const program programs[] = {
    {"model-runner-bridge", MRB_BRIDGE_BIN, "--lisen", "--listen"},
    {"fake-model-runner", MRB_FAKE_RUNNER_BIN, "--load-dely", "--load-delay"},
    {"fake-sandbox-proxy", MRB_FAKE_PROXY_BIN, "--latncy", "--latency"},
    {"fake-openclaw", MRB_FAKE_OPENCLAW_BIN, "--mesage", "--message"},
    {"scenario-runner", MRB_SCENARIO_RUNNER_BIN, "--bridg", "--bridge"},
#ifdef MRB_BRIDGE_BENCH_BIN
    {"bridge-bench", MRB_BRIDGE_BENCH_BIN, "--windw", "--window"},
#endif
};

struct outcome
{
    int rc;
    std::vector<std::string> out, err;
};

outcome run(const std::string& path, std::vector<std::string> args, std::vector<mrb::test::env_change> env = {})
{
    child_process p(path, std::move(args), std::move(env));
    const auto rc = p.wait_exit(generous);
    EXPECT_TRUE(rc.has_value()) << path << " did not exit";
    return {rc.value_or(-1), p.lines(stream::out), p.lines(stream::err)};
}

// A port that was free a moment ago, then held by a listener for the test's duration.
struct held_port
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;
    held_port()
    {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(::listen(fd, 1), 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~held_port() { ::close(fd); }
};

} // namespace

TEST(cli_convention, every_program_prints_its_version)
{
    for (const auto& p : programs)
    {
        const auto r = run(p.path, {"--version"});
        EXPECT_EQ(r.rc, 0) << p.name;
        ASSERT_EQ(r.out.size(), 1u) << p.name;
        EXPECT_EQ(r.out[0].rfind(std::string(p.name) + " ", 0), 0u) << r.out[0];
    }
}

TEST(cli_convention, a_mistyped_flag_is_one_line_exit_2_with_a_suggestion)
{
    for (const auto& p : programs)
    {
        const auto r = run(p.path, {p.typo, "1"});
        EXPECT_EQ(r.rc, 2) << p.name;
        ASSERT_EQ(r.err.size(), 1u) << p.name << ": " << ::testing::PrintToString(r.err);
        EXPECT_EQ(r.err[0], std::string(p.name) + ": unknown option " + p.typo + "; did you mean " + p.suggestion +
                                "? (" + p.name + " --help)");
    }
}

TEST(cli_convention, help_lists_exit_codes_everywhere)
{
    for (const auto& p : programs)
    {
        const auto r = run(p.path, {"--help"});
        EXPECT_EQ(r.rc, 0) << p.name;
        bool found = false;
        for (const auto& l : r.out)
            found = found || l.rfind("Exit codes", 0) == 0;
        EXPECT_TRUE(found) << p.name << " --help has no exit codes";
    }
}

TEST(cli_convention, fakes_say_port_in_use_in_one_line)
{
    held_port busy;
    for (const auto& p : {programs[1], programs[2]})
    {
        const auto r = run(p.path, {"--port", std::to_string(busy.port)});
        EXPECT_EQ(r.rc, 3) << p.name;
        ASSERT_EQ(r.err.size(), 1u) << p.name << ": " << ::testing::PrintToString(r.err);
        EXPECT_EQ(r.err[0], std::string(p.name) + ": cannot listen on 127.0.0.1:" + std::to_string(busy.port) +
                                ": address already in use (another program has this port: stop it or choose "
                                "another port)");
    }
}

TEST(cli_convention, fakes_take_durations_with_units)
{
    // A bad unit is refused by the flag's own check; a good one starts the fake.
    auto r = run(MRB_FAKE_RUNNER_BIN, {"--load-delay", "6 seconds"});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_NE(r.err[0].find("--load-delay"), std::string::npos) << r.err[0];
    child_process runner(MRB_FAKE_RUNNER_BIN, {"--port", "0", "--load-delay", "500ms", "--token-interval", "1ms"});
    EXPECT_TRUE(runner.expect_line(stream::out, std::regex("^listening on 127\\.0\\.0\\.1:[0-9]+$"), generous));
    child_process proxy(MRB_FAKE_PROXY_BIN, {"--port", "0", "--latency", "5ms", "--idle-close", "2s"});
    EXPECT_TRUE(proxy.expect_line(stream::out, std::regex("^listening on 127\\.0\\.0\\.1:[0-9]+$"), generous));
}

TEST(cli_convention, bridge_mistyped_subcommand_gets_a_suggestion)
{
    const auto r = run(MRB_BRIDGE_BIN, {"model"});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_EQ(r.err[0], "model-runner-bridge: unexpected argument model; did you mean models? (model-runner-bridge --help)");
}

TEST(cli_convention, bridge_names_the_variable_a_bad_value_came_from)
{
    auto r = run(MRB_BRIDGE_BIN, {"models"}, {{"HTTP_PROXY", "garbage::"}});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_EQ(r.err[0].rfind("model-runner-bridge: HTTP_PROXY: ", 0), 0u) << r.err[0];
    r = run(MRB_BRIDGE_BIN, {"models", "--proxy", "garbage::"}, {{"HTTP_PROXY", "http://127.0.0.1:1"}});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_EQ(r.err[0].rfind("model-runner-bridge: --proxy: ", 0), 0u) << r.err[0];
    r = run(MRB_BRIDGE_BIN, {"models"}, {{"MRB_TARGET", "host:notaport"}});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_EQ(r.err[0].rfind("model-runner-bridge: MRB_TARGET: ", 0), 0u) << r.err[0];
    r = run(MRB_BRIDGE_BIN, {"models"}, {{"MRB_CONNECT_TIMEOUT", "5x"}});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_EQ(r.err[0].rfind("model-runner-bridge: MRB_CONNECT_TIMEOUT: ", 0), 0u) << r.err[0];
    r = run(MRB_BRIDGE_BIN, {"models", "--connect-timeout", "5x"}, {{"MRB_CONNECT_TIMEOUT", "5s"}});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_EQ(r.err[0].rfind("model-runner-bridge: --connect-timeout: ", 0), 0u) << r.err[0];
}

TEST(cli_convention, bridge_bare_port_means_loopback_without_a_warning)
{
    unsigned port = 0;
    {
        held_port probe; // find a free port, then release it for the bridge
        port = probe.port;
    }
    child_process bridge(MRB_BRIDGE_BIN, {"--listen", std::to_string(port), "--direct"});
    EXPECT_TRUE(bridge.expect_line(
        stream::out, std::regex("^model-runner-bridge listening on 127\\.0\\.0\\.1:" + std::to_string(port) + "$"),
        generous))
        << bridge.text(stream::err);
    bridge.signal(SIGTERM);
    EXPECT_EQ(bridge.wait_exit(generous), 0);
    EXPECT_EQ(bridge.text(stream::err).find("non-loopback"), std::string::npos) << bridge.text(stream::err);
}

TEST(cli_convention, bridge_subcommand_help_shows_the_global_flags)
{
    const auto r = run(MRB_BRIDGE_BIN, {"doctor", "--help"});
    EXPECT_EQ(r.rc, 0);
    bool globals = false, listen = false;
    for (const auto& l : r.out)
    {
        globals = globals || l.rfind("Global options", 0) == 0;
        listen = listen || (globals && l.rfind("  --listen ", 0) == 0);
    }
    EXPECT_TRUE(globals && listen);
}

TEST(cli_convention, scenario_runner_names_a_broken_file_by_line_and_column)
{
    const auto file = ::testing::TempDir() + "cli_convention_bad.json";
    std::ofstream(file) << "{\n  \"name\": \"x\",\n  \"steps\": ]\n}\n";
    auto r = run(MRB_SCENARIO_RUNNER_BIN, {file});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u) << ::testing::PrintToString(r.err);
    EXPECT_EQ(r.err[0].rfind("scenario-runner: " + file + ":3:12: invalid JSON", 0), 0u) << r.err[0];
    r = run(MRB_SCENARIO_RUNNER_BIN, {"--bridge", "/nonexistent/bridge", file});
    EXPECT_EQ(r.rc, 2);
    ASSERT_EQ(r.err.size(), 1u) << ::testing::PrintToString(r.err);
    EXPECT_TRUE(r.out.empty());
}
