// The request of one agent turn: header set and order, body keys, sizes.
#include "request_builder.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace oc = fakes::openclaw;
using nlohmann::json;

namespace {

oc::resolved_model
model()
{
    oc::resolved_model m;
    m.provider_id = "docker-model-runner";
    m.model_id = "ai/qwen2.5:7B-Q4_K_M";
    m.base_url = "http://127.0.0.1:54321/engines/llama.cpp/v1/";
    m.api_key = "not-needed";
    m.max_tokens = 8192;
    return m;
}

}  // namespace

TEST(request_builder, header_names_values_and_order)
{
    auto const r = oc::request_builder::build(model(), "hi", "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01");
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/engines/llama.cpp/v1/chat/completions");
    EXPECT_EQ(r.connect_host, "127.0.0.1");
    EXPECT_EQ(r.connect_port, "54321");
    std::vector<std::string> names;
    for (auto const& h : r.headers)
        names.push_back(h.first);
    std::vector<std::string> const expected = {"host", "connection", "accept", "authorization",
        "content-type", "traceparent", "user-agent", "x-stainless-arch", "x-stainless-lang",
        "x-stainless-os", "x-stainless-package-version", "x-stainless-retry-count",
        "x-stainless-runtime", "x-stainless-runtime-version", "accept-language", "sec-fetch-mode",
        "accept-encoding", "content-length"};
    EXPECT_EQ(names, expected);
    EXPECT_EQ(r.header("host"), "127.0.0.1:54321");
    EXPECT_EQ(r.header("connection"), "keep-alive");
    EXPECT_EQ(r.header("accept"), "application/json");
    EXPECT_EQ(r.header("authorization"), "Bearer not-needed");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("user-agent"), "OpenAI/JS 7.15.0");
    EXPECT_EQ(r.header("x-stainless-retry-count"), "0");
    EXPECT_EQ(r.header("x-stainless-runtime-version"), "v24.21.0");
    EXPECT_EQ(r.header("accept-encoding"), "gzip, deflate");
    EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
}

TEST(request_builder, body_keys_and_shapes)
{
    auto const r = oc::request_builder::build(model(), "What is 2+2?", "00-x-y-01");
    auto const body = nlohmann::ordered_json::parse(r.body);
    std::vector<std::string> keys;
    for (auto const& [k, v] : body.items())
        keys.push_back(k);
    std::vector<std::string> const expected = {"model", "messages", "stream", "stream_options",
        "tools", "tool_choice", "max_completion_tokens"};
    EXPECT_EQ(keys, expected);
    EXPECT_EQ(body["model"], "ai/qwen2.5:7B-Q4_K_M");
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["stream_options"], json({{"include_usage", true}}));
    EXPECT_EQ(body["tool_choice"], "auto");
    EXPECT_EQ(body["max_completion_tokens"], 8192);
    for (char const* never : {"temperature", "top_p", "stop", "user", "store", "parallel_tool_calls", "max_tokens"})
        EXPECT_FALSE(body.contains(never)) << never;

    ASSERT_EQ(body["tools"].size(), 11u);
    for (auto const& t : body["tools"])
    {
        EXPECT_EQ(t["type"], "function");
        EXPECT_FALSE(t["function"]["name"].get<std::string>().empty());
        EXPECT_EQ(t["function"]["parameters"]["type"], "object");
        EXPECT_TRUE(t["function"]["parameters"]["properties"].is_object());
    }
    // 32,673 bytes measured (openclaw agent exec, 2026.9.6).
    EXPECT_GT(r.body.size(), 30000u);
    EXPECT_LT(r.body.size(), 36000u);
}

// The layout measured with real OpenClaw 2026.9.6 (docs/reference/openclaw-client.md "The
// messages"): system string, the person's text as a string with OpenClaw's timestamp and Runtime
// line, then the internal-context block as array content.
TEST(request_builder, messages_follow_openclaws_layout)
{
    oc::turn_facts facts;
    facts.timestamp = "Sat 2026-12-05 06:13 UTC";
    facts.session_id = "481aa52d-ad23-440b-8dd7-9a420c23a2db";
    auto const body = oc::request_builder::body(model(), "What is 2+2?", facts);
    auto const& m = body["messages"];
    ASSERT_EQ(m.size(), 3u);

    EXPECT_EQ(m[0]["role"], "system");
    ASSERT_TRUE(m[0]["content"].is_string());
    EXPECT_EQ(m[0]["content"].get<std::string>().size(), 22335u);
    // The Runtime facts were moved out of the system prompt.
    EXPECT_EQ(m[0]["content"].get<std::string>().find("Runtime: "), std::string::npos);

    EXPECT_EQ(m[1]["role"], "user");
    ASSERT_TRUE(m[1]["content"].is_string());
    auto const user = m[1]["content"].get<std::string>();
    EXPECT_EQ(user,
        "[Sat 2026-12-05 06:13 UTC] What is 2+2?\n\nRuntime: agent=main"
        " | session=agent:main:explicit:481aa52d-ad23-440b-8dd7-9a420c23a2db"
        " | sessionId=481aa52d-ad23-440b-8dd7-9a420c23a2db | host=sandbox | os=Linux 6.10.14 (x64)"
        " | node=v24.21.0 | active_node=unknown | model=docker-model-runner/ai/qwen2.5:7B-Q4_K_M"
        " | default_model=docker-model-runner/ai/qwen2.5:7B-Q4_K_M | shell=bash");
    // ~351 characters measured for "Say hi".
    EXPECT_GT(user.size(), 300u);
    EXPECT_LT(user.size(), 420u);

    EXPECT_EQ(m[2]["role"], "user");
    ASSERT_TRUE(m[2]["content"].is_array());
    ASSERT_EQ(m[2]["content"].size(), 1u);
    EXPECT_EQ(m[2]["content"][0]["type"], "text");
    auto const context = m[2]["content"][0]["text"].get<std::string>();
    EXPECT_TRUE(context.starts_with("<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\n")) << context;
    EXPECT_TRUE(context.ends_with("\n<<<END_OPENCLAW_INTERNAL_CONTEXT>>>")) << context;
    EXPECT_EQ(context.size(), 220u);  // as measured
    EXPECT_EQ(context.find("What is 2+2?"), std::string::npos);
}

TEST(request_builder, tools_are_openclaws_eleven_sorted_by_name)
{
    std::vector<std::string> names;
    for (auto const& t : oc::request_builder::tools())
        names.push_back(t["function"]["name"]);
    std::vector<std::string> const expected = {"apply_patch", "edit", "exec", "ls", "process", "read",
        "sessions_yield", "tool_call", "tool_describe", "tool_search", "write"};
    EXPECT_EQ(names, expected);
    // Their parameter names, and ~9,200 bytes in all as measured.
    auto const props = [&](std::size_t i) {
        std::vector<std::string> k;
        for (auto const& [name, v] : oc::request_builder::tools()[i]["function"]["parameters"]["properties"].items())
            k.push_back(name);
        return k;
    };
    EXPECT_EQ(props(1), (std::vector<std::string>{"path", "edits"}));
    EXPECT_EQ(props(2), (std::vector<std::string>{"title", "command", "workdir", "env", "yieldMs", "background",
                            "timeoutSeconds", "pty", "elevated", "host", "ask", "node"}));
    EXPECT_EQ(props(5), (std::vector<std::string>{"path", "offset", "limit", "cursor", "optional"}));
    auto const bytes = oc::request_builder::tools().dump().size();
    EXPECT_GT(bytes, 7500u);
    EXPECT_LT(bytes, 11000u);
}

TEST(request_builder, timestamp_and_session_id_shapes)
{
    using namespace std::chrono;
    // 2026-12-05 06:13:59 UTC was a Saturday.
    auto const t = sys_days{year{2026} / 12 / 5} + hours{6} + minutes{13} + seconds{59};
    EXPECT_EQ(oc::request_builder::format_timestamp(t), "Sat 2026-12-05 06:13 UTC");
    EXPECT_EQ(oc::request_builder::format_timestamp(sys_days{year{2026} / 1 / 1}), "Thu 2026-01-01 00:00 UTC");
    std::mt19937_64 rng(7);
    auto const id = oc::request_builder::make_session_id(rng);
    EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
        << id;
    EXPECT_NE(id, oc::request_builder::make_session_id(rng));
}

TEST(request_builder, token_limit_field_follows_the_model)
{
    auto m = model();
    m.max_tokens_field = "max_tokens";
    auto body = json::parse(oc::request_builder::build(m, "x", "t").body);
    EXPECT_EQ(body["max_tokens"], 8192);
    EXPECT_FALSE(body.contains("max_completion_tokens"));
    m.max_tokens.reset();
    body = json::parse(oc::request_builder::build(m, "x", "t").body);
    EXPECT_FALSE(body.contains("max_tokens"));
}

TEST(request_builder, host_header_and_target_from_base_url)
{
    auto m = model();
    m.base_url = "http://localhost/v1";
    auto r = oc::request_builder::build(m, "x", "t");
    EXPECT_EQ(r.header("host"), "localhost");  // Node omits the default port
    EXPECT_EQ(r.connect_port, "80");
    EXPECT_EQ(r.target, "/v1/chat/completions");
    m.extra_headers = {{"x-extra", "1"}};
    r = oc::request_builder::build(m, "x", "t");
    EXPECT_EQ(r.headers.back().first, "content-length");
    EXPECT_EQ(r.header("x-extra"), "1");
    m.base_url = "https://api.example.com/v1";
    EXPECT_FALSE(oc::request_builder::build(m, "x", "t").error.empty());
    m.base_url = "not a url";
    EXPECT_FALSE(oc::request_builder::build(m, "x", "t").error.empty());
}

TEST(request_builder, traceparent_is_w3c_shaped_and_seeded)
{
    std::mt19937_64 a(42);
    std::mt19937_64 b(42);
    auto const t = oc::request_builder::make_traceparent(a);
    EXPECT_TRUE(std::regex_match(t, std::regex("00-[0-9a-f]{32}-[0-9a-f]{16}-01"))) << t;
    EXPECT_EQ(t, oc::request_builder::make_traceparent(b));
    EXPECT_NE(t, oc::request_builder::make_traceparent(a));
}

TEST(request_builder, a_very_long_model_name_only_lengthens_the_system_prompt)
{
    auto m = model();
    m.model_id = std::string(30000, 'm');
    auto const body = oc::request_builder::body(m, "x");
    EXPECT_GT(body["messages"][0]["content"].get<std::string>().size(), 30000u);
}
