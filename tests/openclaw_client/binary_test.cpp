// The fake-openclaw binary end to end: config lookup, JSON5 file, streamed output, exit codes.
#include "script_server.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <regex>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct run_output
{
    int exit_code = -1;
    std::string out;  // stdout and stderr together
};

run_output
run(std::string const& command)
{
    run_output r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (p == nullptr)
        return r;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    int const status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

class binary_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        dir_ = std::filesystem::path(::testing::TempDir()) /
            ("fake-openclaw-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_ / ".openclaw");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // openclaw.json as a person writes it: comments, unquoted keys, trailing commas.
    std::string write_config(unsigned short port, std::string const& name = ".openclaw/openclaw.json")
    {
        auto const path = dir_ / name;
        std::ofstream(path) << "// written by hand\n{\n  gateway: { mode: 'local' },\n"
                               "  agents: { defaults: { model: 'docker-model-runner/ai/smollm2:latest' } },\n"
                               "  models: { providers: { 'docker-model-runner': {\n"
                               "    baseUrl: 'http://127.0.0.1:" << port << "/engines/v1', apiKey: 'not-needed',\n"
                               "    /* api defaults to openai-completions */\n"
                               "    models: [{ id: 'ai/smollm2:latest', name: 'SmolLM2', maxTokens: 512, },],\n"
                               "  }, }, },\n}\n";
        return path.string();
    }

    std::filesystem::path dir_;
};

bool
good_stream(oc_test::script_connection& c, oc_test::recorded_request const&)
{
    c.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.chunk("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"},\"finish_reason\":null}]}\n\n");
    c.chunk("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    c.write("0\r\n\r\n");
    return true;
}

// OpenClaw's waits counted, not slept; the key state in the test's folder, never in ~/.openclaw.
std::string const binary_only = std::string(FAKE_OPENCLAW_BINARY) + " --backoff-unit 0";
std::string const binary = binary_only + " --state-dir " + testing::TempDir() + "fake-openclaw-binary-test-state";

}  // namespace

TEST_F(binary_test, help_exits_zero)
{
    auto const r = run(binary + " --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("--concurrency"), std::string::npos);
    EXPECT_EQ(run(binary + " --no-such-flag").exit_code, 2);
}

TEST_F(binary_test, prints_the_streamed_text_and_exits_zero)
{
    oc_test::script_server server(good_stream);
    auto const r = run(binary + " --config " + write_config(server.port()) + " --message 'hi there'");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out, "Hello there\n");
    ASSERT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(json::parse(server.requests()[0].body)["max_completion_tokens"], 512);
    // OpenClaw's layout: the text, stamped with the time and followed by the Runtime line.
    auto const user = json::parse(server.requests()[0].body)["messages"][1]["content"].get<std::string>();
    EXPECT_TRUE(std::regex_search(user, std::regex(R"(^\[\w{3} \d{4}-\d\d-\d\d \d\d:\d\d UTC\] hi there\n\nRuntime: agent=main \| )")))
        << user;
}

TEST_F(binary_test, finds_the_config_through_the_environment)
{
    oc_test::script_server server(good_stream);
    write_config(server.port());
    auto const home = dir_.string();
    // HOME: ~/.openclaw/openclaw.json
    auto r = run("env -u OPENCLAW_CONFIG_PATH -u OPENCLAW_STATE_DIR -u OPENCLAW_HOME HOME=" + home + " " + binary);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    // OPENCLAW_HOME wins over HOME.
    r = run("env -u OPENCLAW_CONFIG_PATH -u OPENCLAW_STATE_DIR HOME=/nonexistent OPENCLAW_HOME=" + home + " " + binary);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    // OPENCLAW_CONFIG_PATH wins over OPENCLAW_HOME.
    auto const other = write_config(server.port(), "other.json5");
    r = run("env OPENCLAW_HOME=/nonexistent OPENCLAW_CONFIG_PATH=" + other + " " + binary + " --json --no-events");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto const report = json::parse(r.out);
    EXPECT_EQ(report["config_path"], other);
    EXPECT_EQ(report["text"], "Hello there");
    EXPECT_FALSE(report.contains("events"));
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(binary_test, broken_config_names_line_and_column)
{
    auto const path = dir_ / "broken.json";
    std::ofstream(path) << "{\n  gateway: { mode: 'local' }\n  agents: {}\n}\n";  // missing comma
    auto const r = run(binary + " --config " + path.string());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("JSON5: invalid character 'a' at 3:3"), std::string::npos) << r.out;
}

TEST_F(binary_test, failure_prints_openclaws_message_and_code)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 2\r\n\r\nko");
        return true;
    });
    auto r = run(binary + " --config " + write_config(server.port()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "\u26a0\ufe0f docker-model-runner/ai/smollm2:latest request failed (provider internal error, HTTP "
                     "502). This is usually temporary \u2014 try again shortly.\n");
    EXPECT_EQ(server.requests().size(), 8u);  // OpenClaw's count, whatever --backoff-unit says

    oc_test::refused_port refused;
    r = run(binary + " --config " + write_config(refused.port()) + " --json");
    EXPECT_EQ(r.exit_code, 2);
    auto const at = r.out.find("LLM request failed: connection refused by the provider endpoint.\n");
    ASSERT_NE(at, std::string::npos) << r.out;
}

TEST_F(binary_test, a_403_locks_the_key_for_the_next_run)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden");
        return true;
    });
    auto const state = (dir_ / "state").string();
    auto r = run(binary_only + " --config " + write_config(server.port()) + " --state-dir " + state);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("Re-authenticate the provider"), std::string::npos) << r.out;
    r = run(binary_only + " --config " + write_config(server.port()) + " --state-dir " + state);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("temporarily disabled"), std::string::npos) << r.out;
    EXPECT_EQ(server.requests().size(), 1u);  // the second run sent nothing
}

TEST_F(binary_test, load_mode_reports_json_stats)
{
    oc_test::script_server server(good_stream);
    auto const r = run(binary + " --config " + write_config(server.port()) +
        " --repeat 6 --concurrency 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto const report = json::parse(r.out);
    EXPECT_EQ(report["turns"], 6);
    EXPECT_EQ(report["succeeded"], 6);
    EXPECT_EQ(report["first_event"]["count"], 6);
    EXPECT_EQ(server.connections(), 2);
}
