// fake-openclaw against a scripted server, one test per row of OpenClaw's measured reaction
// table (docs/fake-openclaw.md, docs/reference/openclaw-client.md): requests sent, text shown,
// exit code, key cooldown, OpenClaw's waits (backoff_unit 0: the waits are counted, not slept).
#include "fake_openclaw.hpp"
#include "script_server.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace oc = fakes::openclaw;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json
config_for(unsigned short port)
{
    return {{"agents", {{"defaults", {{"model", "docker-model-runner/ai/smollm2"}}}}},
        {"models",
            {{"providers",
                {{"docker-model-runner",
                    {{"baseUrl", "http://127.0.0.1:" + std::to_string(port) + "/engines/v1"},
                        {"apiKey", "not-needed"},
                        {"models", json::array({{{"id", "ai/smollm2"}, {"name", "SmolLM2"}}})}}}}}}}};
}

std::string
state_dir()
{
    auto const* info = testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (auto& ch : name)
        if (ch == '/')
            ch = '_';
    auto dir = testing::TempDir() + "fake-openclaw-reaction-" + name + "-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    return dir;
}

oc::client_options
options_for(unsigned short port)
{
    oc::client_options o;
    o.config = config_for(port);
    o.message = "Say hi";
    o.seed = 1;
    o.idle_timeout = 30s;
    o.backoff_unit = 0ms;
    o.state_dir = state_dir();
    return o;
}

std::string
error_body(std::string const& message)
{
    return json{{"error", {{"message", message}, {"type", "invalid_request_error"}, {"code", "x"}}}}.dump();
}

// Answers every request with `status` and an OpenAI-style JSON error (keep-alive).
oc_test::script_server::script
answer(int status, std::string const& message, std::string const& extra_headers = "")
{
    return [=](oc_test::script_connection& c, oc_test::recorded_request const&) {
        auto const body = error_body(message);
        c.write("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" + extra_headers +
            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        return true;
    };
}

std::string const ours = "model-runner-bridge: the sandbox proxy blocked the request. Allow it: sbx policy allow network localhost:12434";

std::string
ok_stream(bool finish, bool done, bool last_chunk)
{
    std::string s = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    auto chunk = [&](std::string const& data) {
        char size[16];
        std::snprintf(size, sizeof size, "%zx", data.size());
        s += std::string(size) + "\r\n" + data + "\r\n";
    };
    chunk("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n");
    if (finish)
        chunk("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    if (done)
        chunk("data: [DONE]\n\n");
    if (last_chunk)
        s += "0\r\n\r\n";
    return s;
}

struct row
{
    int status;
    int requests;
    char const* shown;  // exact text; "{model}" stands for "⚠️ provider/model"
    int exit_code;
    bool cooldown;
    std::int64_t waited_ms;  // OpenClaw's total wait between its attempts
};

std::string
expand(std::string s)
{
    if (auto p = s.find("{model}"); p != std::string::npos)
        s.replace(p, 7, "\u26a0\ufe0f docker-model-runner/ai/smollm2");
    return s;
}

void
PrintTo(row const& r, std::ostream* os)
{
    *os << r.status;
}

class reaction_row : public testing::TestWithParam<row> {};

}  // namespace

TEST_P(reaction_row, requests_text_exit_and_cooldown_as_measured)
{
    auto const& want = GetParam();
    oc_test::script_server server(answer(want.status, ours));
    auto const o = options_for(server.port());
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::http_status);
    EXPECT_EQ(r.status, want.status);
    EXPECT_EQ(r.requests_sent, want.requests);
    EXPECT_EQ(static_cast<int>(server.requests().size()), want.requests);
    EXPECT_EQ(r.user_message, expand(want.shown));
    EXPECT_EQ(r.exit_code, want.exit_code);
    EXPECT_EQ(r.key_disabled, want.cooldown);
    EXPECT_EQ(r.waited_ms, want.waited_ms);

    // The next run within the cooldown sends nothing; without one it sends again.
    auto const next = oc::run_turn(o);
    if (want.cooldown)
    {
        EXPECT_EQ(next.error, oc::error_class::key_cooldown);
        EXPECT_EQ(next.requests_sent, 0);
        EXPECT_NE(next.user_message.find("temporarily disabled"), std::string::npos) << next.user_message;
        EXPECT_NE(next.user_message.find("docker-model-runner"), std::string::npos) << next.user_message;
        EXPECT_EQ(next.exit_code, 1);
        EXPECT_EQ(static_cast<int>(server.requests().size()), want.requests);
    }
    else
        EXPECT_EQ(next.requests_sent, want.requests);
}

// Waits: 5xx and timeout statuses 1+2+3+7+15+20+30 s = 78 s; 429 150 s; unclassified 3 x 0.25 s.
INSTANTIATE_TEST_SUITE_P(openclaw, reaction_row,
    testing::Values(
        row{400, 1, "LLM request failed: provider rejected the request schema or tool payload.", 1, false, 0},
        row{422, 1, "LLM request failed: provider rejected the request schema or tool payload.", 1, false, 0},
        row{401, 1, "{model} request failed (authentication failed, HTTP 401). Re-authenticate the provider and try again.", 1, true, 0},
        row{403, 1, "{model} request failed (authentication failed, HTTP 403). Re-authenticate the provider and try again.", 1, true, 0},
        row{404, 1, "The selected model was not found by the provider. Check the model id or choose a different model.", 1, false, 0},
        row{409, 4, "{model} request failed (HTTP 409).", 1, false, 750},
        row{413, 4, "{model} request failed (HTTP 413).", 1, false, 750},
        row{424, 4, "{model} request failed (HTTP 424).", 1, false, 750},
        row{451, 4, "{model} request failed (HTTP 451).", 1, false, 750},
        row{421, 8, "{model} request failed (HTTP 421).", 1, false, 750},
        row{408, 8, "request failed (request timed out, HTTP 408)", 2, false, 78000},
        row{410, 8, "request failed (request timed out, HTTP 410)", 2, false, 78000},
        row{504, 8, "{model} request failed (provider internal error, HTTP 504). This is usually temporary \u2014 try again shortly.", 1, false, 78000},
        row{429, 10, "API rate limit reached", 1, false, 150000},
        row{500, 8, "{model} request failed (provider internal error, HTTP 500). This is usually temporary \u2014 try again shortly.", 1, false, 78000},
        row{501, 8, "{model} request failed (provider internal error, HTTP 501). This is usually temporary \u2014 try again shortly.", 1, false, 78000},
        row{502, 8, "{model} request failed (provider internal error, HTTP 502). This is usually temporary \u2014 try again shortly.", 1, false, 78000},
        row{503, 8, "{model} request failed (provider internal error, HTTP 503). This is usually temporary \u2014 try again shortly.", 1, false, 78000},
        row{507, 8, "{model} request failed (provider internal error, HTTP 507). This is usually temporary \u2014 try again shortly.", 1, false, 78000},
        row{511, 8, "{model} request failed (provider internal error, HTTP 511). This is usually temporary \u2014 try again shortly.", 1, false, 78000}),
    [](testing::TestParamInfo<row> const& info) { return "http_" + std::to_string(info.param.status); });

TEST(reaction, undici_resends_a_421_once_on_a_new_connection)
{
    oc_test::script_server server(answer(421, ours));
    auto const r = oc::run_turn(options_for(server.port()));
    auto const seen = server.requests();
    ASSERT_EQ(seen.size(), 8u);
    // Each OpenClaw attempt and its undici resend: the resend always on a new connection.
    for (std::size_t i = 1; i < seen.size(); i += 2)
        EXPECT_NE(seen[i].connection, seen[i - 1].connection) << i;
    EXPECT_EQ(r.attempts, 4);
}

TEST(reaction, a_421_answered_on_the_resend_succeeds)
{
    int n = 0;
    oc_test::script_server server([&n](oc_test::script_connection& c, oc_test::recorded_request const& q) {
        if (n++ == 0)
            return answer(421, ours)(c, q);
        c.write(ok_stream(true, true, true));
        return true;
    });
    auto const r = oc::run_turn(options_for(server.port()));
    EXPECT_EQ(r.error, oc::error_class::none) << r.detail;
    EXPECT_EQ(r.requests_sent, 2);
    EXPECT_EQ(r.attempts, 1);
}

TEST(reaction, rate_limit_text_is_ours_only_when_it_names_seconds_or_quota)
{
    oc_test::script_server server(answer(429, "retry in 20 seconds"));
    auto const r = oc::run_turn(options_for(server.port()));
    EXPECT_EQ(r.user_message, "\u26a0\ufe0f retry in 20 seconds");
    EXPECT_EQ(r.requests_sent, 10);
}

TEST(reaction, rate_limit_retry_after_is_waited_in_full)
{
    int n = 0;
    oc_test::script_server server([&n](oc_test::script_connection& c, oc_test::recorded_request const& q) {
        if (n++ == 0)
            return answer(429, "slow down", "Retry-After: 3600\r\n")(c, q);
        c.write(ok_stream(true, true, true));
        return true;
    });
    auto const r = oc::run_turn(options_for(server.port()));
    EXPECT_EQ(r.error, oc::error_class::none) << r.detail;
    EXPECT_EQ(r.requests_sent, 2);
    EXPECT_EQ(r.waited_ms, 3'600'000);  // an hour, silently
}

TEST(reaction, server_error_retry_after_beyond_the_window_stops_the_retries)
{
    oc_test::script_server long_wait(answer(503, "restarting", "Retry-After: 120\r\n"));
    auto r = oc::run_turn(options_for(long_wait.port()));
    EXPECT_EQ(r.requests_sent, 1);
    EXPECT_EQ(r.user_message,
        expand("{model} request failed (provider internal error, HTTP 503). This is usually temporary \u2014 try again shortly."));

    oc_test::script_server short_wait(answer(503, "restarting", "Retry-After: 10\r\n"));
    r = oc::run_turn(options_for(short_wait.port()));
    // 10 s fits in the rest of the window each time: all 8 are sent, no wait shorter than 10 s.
    EXPECT_EQ(r.requests_sent, 8);
    EXPECT_EQ(r.waited_ms, 10'000 * 4 + 15'000 + 20'000 + 30'000);
}

TEST(reaction, done_without_finish_reason_is_a_success)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(ok_stream(false, true, true));
        return true;
    });
    auto const r = oc::run_turn(options_for(server.port()));
    EXPECT_EQ(r.error, oc::error_class::none) << r.detail;
    EXPECT_EQ(r.text, "Hi");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.requests_sent, 1);
}

TEST(reaction, neither_finish_reason_nor_done_is_a_failure)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(ok_stream(false, false, true));
        return true;
    });
    auto const r = oc::run_turn(options_for(server.port()));
    EXPECT_EQ(r.error, oc::error_class::stream_cut) << r.detail;
    EXPECT_EQ(r.exit_code, 2);
}

TEST(reaction, finish_then_done_with_the_connection_left_open_succeeds_at_once)
{
    oc_test::script_server server([](oc_test::script_connection& c, oc_test::recorded_request const&) {
        c.write(ok_stream(true, true, false));  // no last chunk: the response never ends
        c.wait_for_client_close(60s);
        return false;
    });
    auto o = options_for(server.port());
    o.idle_timeout = 60s;
    auto const t0 = std::chrono::steady_clock::now();
    auto const r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::none) << r.detail;
    EXPECT_EQ(r.finish_reason, "stop");
    // Far below the 60 s the server would hold it: the client did not wait for the end.
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
}

TEST(reaction, key_cooldown_is_kept_in_the_state_dir_and_expires)
{
    oc_test::script_server server(answer(403, "Blocked by network policy"));
    auto o = options_for(server.port());
    o.key_cooldown = 30s;
    EXPECT_EQ(oc::client_options{}.key_cooldown, 30s);
    auto r = oc::run_turn(o);
    EXPECT_TRUE(r.key_disabled);
    auto const file = std::filesystem::path(*o.state_dir) / "fake-openclaw-auth-state.json";
    ASSERT_TRUE(std::filesystem::exists(file));
    auto const state = json::parse(std::ifstream(file));
    ASSERT_TRUE(state.contains("inline-api-key:docker-model-runner")) << state;
    auto const until = state["inline-api-key:docker-model-runner"]["disabled_until_ms"].get<std::int64_t>();
    auto const now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_GT(until - now_ms, 20'000);
    EXPECT_LE(until - now_ms, 30'000);

    // Another process (the binary) reads the same state: it also sends nothing.
    r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::key_cooldown);
    EXPECT_EQ(server.requests().size(), 1u);

    // Once the time has passed the key is used again.
    std::ofstream(file) << json{{"inline-api-key:docker-model-runner", {{"disabled_until_ms", now_ms - 1}}}}.dump();
    r = oc::run_turn(o);
    EXPECT_EQ(r.error, oc::error_class::http_status);
    EXPECT_EQ(server.requests().size(), 2u);
}
