#include "core/bridge_config.hpp"
#include "core/error_reply.hpp"
#include "core/failure_journal.hpp"
#include "net/failure_journal.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace {

mrb::bridge_config proxied()
{
    mrb::bridge_config c;
    c.proxy = mrb::proxy_endpoint{"host.docker.internal", 3128, "", "http://host.docker.internal:3128"};
    return c;
}

bool reason_phrase_is_generic(unsigned status)
{
    return mrb::reason_phrase(status) == "Error";
}

nlohmann::json parse(const mrb::error_reply& r)
{
    return nlohmann::json::parse(r.body());
}

TEST(error_reply, body_is_openai_shaped)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_refused, proxied(), "Connection refused");
    const auto j = parse(r);
    ASSERT_TRUE(j.contains("error"));
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_EQ(j["error"]["type"], r.type);
    EXPECT_EQ(j["error"]["code"], r.code);
    EXPECT_EQ(j.size(), 1u);
    EXPECT_EQ(j["error"].size(), 3u);
}

TEST(error_reply, refused_names_the_proxy_address_and_the_variable)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_refused, proxied(), "Connection refused");
    EXPECT_EQ(r.status, 502u);
    EXPECT_NE(r.message.find("host.docker.internal:3128"), std::string::npos);
    EXPECT_NE(r.message.find("HTTP_PROXY"), std::string::npos);
    EXPECT_NE(r.message.find("--proxy"), std::string::npos);
}

TEST(error_reply, direct_mode_names_the_model_runner)
{
    mrb::bridge_config c;
    c.direct = true;
    const auto r = mrb::make_error_reply(mrb::failure::proxy_refused, c);
    EXPECT_NE(r.message.find("Model Runner at localhost:12434"), std::string::npos);
    EXPECT_NE(r.message.find("--tcp 12434"), std::string::npos);
}

TEST(error_reply, timeouts_are_504)
{
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_timeout, proxied()).status, 504u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_connect_timeout, proxied()).status, 504u);
    const auto r = mrb::make_error_reply(mrb::failure::proxy_timeout, proxied());
    EXPECT_NE(r.message.find("--response-header-timeout"), std::string::npos);
}

TEST(error_reply, resets_and_garbage_are_502)
{
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_reset, proxied()).status, 502u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_bad_response, proxied()).status, 502u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_unreachable, proxied()).status, 502u);
}

// A proxy may refuse by closing without a word: the message names the policy as the likely
// (not certain) cause with its fix, and still the reachability check. Direct mode has no proxy.
TEST(error_reply, proxied_reset_names_the_policy_as_likely_cause)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_reset, proxied(), "end of stream");
    EXPECT_NE(r.message.find("Likely (not certain) its network policy blocks"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("--allow-host localhost"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("docker model status"), std::string::npos) << r.message;
    mrb::bridge_config direct;
    direct.direct = true;
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_reset, direct).message.find("network policy"), std::string::npos);
}

// OpenClaw 2026.9.6's measured reactions (docs/bridge.md "Statuses towards OpenClaw"): 451 is
// shown as "451 <message>" after 4 requests in under a second, with no key cooldown. Not 403 or
// 401 (key locked for 30 s under "Re-authenticate"), not 421 (8 requests), not 408/429/5xx
// (80-150 s of retries with our text hidden), not 400/404/422 (OpenClaw's own text instead of ours).
TEST(error_reply, denial_status_is_451_with_the_fix_in_the_message)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_denied, proxied(), "ERR_ACCESS_DENIED 0");
    EXPECT_EQ(r.status, 451u);
    EXPECT_EQ(mrb::denial_status, 451u);
    EXPECT_NE(r.message.find("docker sandbox network proxy <sandbox> --allow-host localhost"), std::string::npos);
    EXPECT_NE(r.message.find("ERR_ACCESS_DENIED 0"), std::string::npos);
    EXPECT_EQ(r.fix, "docker sandbox network proxy <sandbox> --allow-host localhost  (sbx: sbx policy allow network localhost:12434)");
    EXPECT_NE(r.message.find(r.fix), std::string::npos);
}

TEST(error_reply, refused_proxy_login_is_451_too)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_auth_refused, proxied(), "407");
    EXPECT_EQ(r.status, 451u);
    EXPECT_EQ(r.code, "sandbox_proxy_auth_refused");
    EXPECT_NE(r.message.find("HTTP_PROXY"), std::string::npos);
    EXPECT_FALSE(r.fix.empty());
}

// The table of docs/bridge.md, row by row: status, and the hop the failure journal files it under.
TEST(error_reply, status_table)
{
    struct row { mrb::failure f; unsigned status; const char* hop; const char* kind; };
    const row rows[] = {
        {mrb::failure::proxy_refused, 502, "proxy", "proxy_refused"},
        {mrb::failure::proxy_unreachable, 502, "proxy", "proxy_unreachable"},
        {mrb::failure::proxy_connect_timeout, 504, "proxy", "proxy_connect_timeout"},
        {mrb::failure::proxy_reset, 502, "proxy", "proxy_reset"},
        {mrb::failure::proxy_bad_response, 502, "proxy", "proxy_bad_response"},
        {mrb::failure::proxy_timeout, 504, "model_runner", "proxy_timeout"},
        {mrb::failure::proxy_denied, 451, "proxy", "proxy_denied"},
        {mrb::failure::proxy_auth_refused, 451, "proxy", "proxy_auth_refused"},
        {mrb::failure::bad_request, 400, "client", "bad_request"},
        {mrb::failure::header_too_large, 431, "client", "header_too_large"},
        {mrb::failure::body_too_large, 413, "client", "body_too_large"},
        {mrb::failure::connect_method, 405, "client", "connect_method"},
        {mrb::failure::foreign_target, 421, "client", "foreign_target"},
        {mrb::failure::overloaded, 503, "client", "overloaded"},
    };
    const auto c = proxied();
    for (const auto& r : rows)
    {
        const auto reply = mrb::make_error_reply(r.f, c);
        EXPECT_EQ(reply.status, r.status) << r.kind;
        EXPECT_EQ(mrb::failure_hop(r.f, false), r.hop) << r.kind;
        EXPECT_EQ(mrb::to_string(r.f), r.kind);
        // Never a status that makes OpenClaw lock the key or hide our text behind its own.
        EXPECT_NE(reply.status, 401u) << r.kind;
        EXPECT_NE(reply.status, 403u) << r.kind;
        EXPECT_NE(reply.status, 429u) << r.kind;
        EXPECT_NE(reply.status, 404u) << r.kind;
        EXPECT_NE(reason_phrase_is_generic(reply.status), true) << r.kind;
    }
    // Without a proxy, the next hop is the Model Runner.
    EXPECT_EQ(mrb::failure_hop(mrb::failure::proxy_refused, true), "model_runner");
}

TEST(error_reply, client_errors)
{
    const auto c = proxied();
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::bad_request, c).status, 400u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::header_too_large, c).status, 431u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::body_too_large, c).status, 413u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::connect_method, c).status, 405u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::foreign_target, c).status, 421u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::overloaded, c).status, 503u);
}

TEST(error_reply, detail_with_quotes_stays_valid_json)
{
    const auto r = mrb::make_error_reply(mrb::failure::bad_request, proxied(), "bad \"x\"\n\xff");
    EXPECT_NO_THROW(parse(r));
}

TEST(error_reply, reason_phrases)
{
    EXPECT_EQ(mrb::reason_phrase(421), "Misdirected Request");
    EXPECT_EQ(mrb::reason_phrase(451), "Unavailable For Legal Reasons");
    EXPECT_EQ(mrb::reason_phrase(504), "Gateway Timeout");
}

// --- failure journal (contract: last failure per hop, read by doctor and start-openclaw) ---

TEST(failure_journal, path_follows_xdg_state_home_then_home)
{
    EXPECT_EQ(mrb::failure_journal_path("/x/state", "/home/u", 54321),
              std::filesystem::path("/x/state/model-runner-bridge/last-failures-54321.json"));
    EXPECT_EQ(mrb::failure_journal_path("", "/home/u", 54321),
              std::filesystem::path("/home/u/.local/state/model-runner-bridge/last-failures-54321.json"));
    // A relative XDG_STATE_HOME is invalid (XDG Base Directory spec) and is ignored.
    EXPECT_EQ(mrb::failure_journal_path("rel", "/home/u", 1),
              std::filesystem::path("/home/u/.local/state/model-runner-bridge/last-failures-1.json"));
    EXPECT_TRUE(mrb::failure_journal_path("", "", 1).empty());
}

TEST(failure_journal, iso8601_utc)
{
    EXPECT_EQ(mrb::iso8601_utc(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
    EXPECT_EQ(mrb::iso8601_utc(std::chrono::system_clock::time_point{std::chrono::seconds(1764324000)}),
              "2025-11-28T10:00:00Z");
}

mrb::failure_note note(const char* hop, unsigned status, const char* kind)
{
    return {hop, std::chrono::system_clock::time_point{std::chrono::seconds(1764324000)}, status, kind, "msg", "fix it"};
}

TEST(failure_journal, writes_a_hop_at_most_once_a_second_and_keeps_the_latest)
{
    using namespace std::chrono_literals;
    mrb::failure_journal_state s;
    const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
    EXPECT_TRUE(s.record(note("proxy", 451, "proxy_denied"), t0));
    s.written(t0);
    EXPECT_FALSE(s.pending());
    // The same hop again within the second: kept, not due.
    EXPECT_FALSE(s.record(note("proxy", 502, "proxy_refused"), t0 + 300ms));
    EXPECT_TRUE(s.pending());
    // Another hop is due at once, and the pending proxy entry goes with it.
    EXPECT_TRUE(s.record(note("client", 413, "body_too_large"), t0 + 400ms));
    auto j = nlohmann::json::parse(s.render());
    EXPECT_EQ(j["proxy"]["status"], 502);
    EXPECT_EQ(j["proxy"]["kind"], "proxy_refused");
    EXPECT_EQ(j["client"]["status"], 413);
    EXPECT_EQ(j["proxy"]["time"], "2025-11-28T10:00:00Z");
    EXPECT_EQ(j["proxy"]["message"], "msg");
    EXPECT_EQ(j["proxy"]["fix"], "fix it");
    s.written(t0 + 400ms);
    // After the interval the hop is due again.
    EXPECT_TRUE(s.record(note("proxy", 451, "proxy_denied"), t0 + 1500ms));
}

TEST(failure_journal, file_is_replaced_whole_and_flushed_at_exit)
{
    const auto dir = std::filesystem::path(testing::TempDir()) / ("mrb-journal-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    const auto file = dir / "model-runner-bridge" / "last-failures-1.json";
    std::string error;
    {
        mrb::failure_journal j(file);
        ASSERT_TRUE(j.note(note("proxy", 451, "proxy_denied"), error)) << error;
        auto first = nlohmann::json::parse(std::ifstream(file));
        EXPECT_EQ(first["proxy"]["status"], 451);
        ASSERT_TRUE(j.note(note("proxy", 502, "proxy_refused"), error)) << error;  // within the second
        EXPECT_EQ(nlohmann::json::parse(std::ifstream(file))["proxy"]["status"], 451);
    }
    // The destructor wrote the pending entry; no temp file is left behind.
    EXPECT_EQ(nlohmann::json::parse(std::ifstream(file))["proxy"]["status"], 502);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(file.parent_path()))
        ++files;
    EXPECT_EQ(files, 1u);
    std::filesystem::remove_all(dir);
}

TEST(failure_journal, an_unwritable_place_is_an_error_not_a_crash)
{
    mrb::failure_journal j("/proc/mrb-no-such-dir/x/last-failures-1.json");
    std::string error;
    EXPECT_FALSE(j.note(note("proxy", 451, "proxy_denied"), error));
    EXPECT_FALSE(error.empty());
}

} // namespace
