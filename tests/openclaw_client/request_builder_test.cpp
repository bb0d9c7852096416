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

    ASSERT_EQ(body["messages"].size(), 2u);
    EXPECT_EQ(body["messages"][0]["role"], "system");
    EXPECT_EQ(body["messages"][0]["content"].get<std::string>().size(), 22000u);
    EXPECT_EQ(body["messages"][1]["role"], "user");
    EXPECT_EQ(body["messages"][1]["content"],
        nlohmann::ordered_json::parse(R"([{"type":"text","text":"What is 2+2?"}])"));

    ASSERT_EQ(body["tools"].size(), 11u);
    for (auto const& t : body["tools"])
    {
        EXPECT_EQ(t["type"], "function");
        EXPECT_FALSE(t["function"]["name"].get<std::string>().empty());
        EXPECT_EQ(t["function"]["parameters"]["type"], "object");
        EXPECT_TRUE(t["function"]["parameters"]["properties"].is_object());
    }
    // About 33 kB, as observed.
    EXPECT_GT(r.body.size(), 25000u);
    EXPECT_LT(r.body.size(), 40000u);
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
