#include "sse_writer.hpp"

#include <gtest/gtest.h>

using namespace fakes::model_runner;

namespace {

stream_context
ctx(bool include_usage, usage_placement p = usage_placement::separate_chunk)
{
    stream_context c;
    c.id = "chatcmpl-abc";
    c.created = 1754524122;
    c.model = "ai/smollm2";
    c.system_fingerprint = "b6097-9515c613";
    c.include_usage = include_usage;
    c.placement = p;
    return c;
}

planned_reply
hello()
{
    planned_reply r;
    r.pieces = {"Hello", " world"};
    r.prompt_tokens = 10;
    r.completion_tokens = 2;
    return r;
}

const std::string common =
    R"(,"created":1754524122,"id":"chatcmpl-abc","model":"ai/smollm2","system_fingerprint":"b6097-9515c613","object":"chat.completion.chunk")";
const std::string timings =
    R"({"cache_n":0,"prompt_n":10,"prompt_ms":5.0,"prompt_per_token_ms":0.5,"prompt_per_second":2000.0,)"
    R"("predicted_n":2,"predicted_ms":20.0,"predicted_per_token_ms":10.0,"predicted_per_second":100.0})";

} // namespace

TEST(sse_writer, stream_with_usage_chunk_to_the_byte)
{
    auto events = sse_writer(ctx(true)).chat_stream(hello());
    std::vector<std::string> expected = {
        "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]" + common + "}\n\n",
        "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Hello\"}}]" + common + "}\n\n",
        "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\" world\"}}]" + common + "}\n\n",
        "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]" + common + "}\n\n",
        "data: {\"choices\":[]" + common +
            ",\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":10,\"total_tokens\":12,\"prompt_tokens_details\":{\"cached_tokens\":0}},"
            "\"timings\":" + timings + "}\n\n",
        "data: [DONE]\n\n",
    };
    EXPECT_EQ(events, expected);
}

TEST(sse_writer, stream_without_include_usage_puts_timings_on_finish)
{
    auto events = sse_writer(ctx(false)).chat_stream(hello());
    ASSERT_EQ(events.size(), 5u);
    EXPECT_EQ(events[3], "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]" + common +
                             ",\"timings\":" + timings + "}\n\n");
    EXPECT_EQ(events[4], "data: [DONE]\n\n");
}

TEST(sse_writer, legacy_placement_usage_on_finish_chunk_even_without_include_usage)
{
    for(bool include : {false, true})
    {
        auto events = sse_writer(ctx(include, usage_placement::on_finish_chunk)).chat_stream(hello());
        ASSERT_EQ(events.size(), 5u) << "no separate usage chunk";
        EXPECT_EQ(events[3], "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]" + common +
                                 ",\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":10,\"total_tokens\":12},"
                                 "\"timings\":" + timings + "}\n\n");
    }
}

TEST(sse_writer, tool_call_streaming)
{
    planned_reply r;
    r.tool_call = tool_call_reply{"get_weather", R"({"city":"Paris"})", "call_1"};
    r.finish_reason = "tool_calls";
    r.prompt_tokens = 10;
    r.completion_tokens = 2;
    auto events = sse_writer(ctx(false)).chat_stream(r);
    ASSERT_EQ(events.size(), 1u + 1u + 2u + 1u + 1u);
    EXPECT_EQ(events[1], "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                         "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]" +
                             common + "}\n\n");
    EXPECT_EQ(events[2], "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                         "\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}}]" + common + "}\n\n");
    EXPECT_EQ(events[3], "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                         "\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}}]" + common + "}\n\n");
    EXPECT_NE(events[4].find(R"("finish_reason":"tool_calls")"), std::string::npos);
}

TEST(sse_writer, content_is_json_escaped)
{
    EXPECT_EQ(sse_writer(ctx(false)).content_chunk("a\"b\n"),
              "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"a\\\"b\\n\"}}]" + common + "}\n\n");
}

TEST(sse_writer, timestamp_comment_is_an_sse_comment_line)
{
    EXPECT_EQ(sse_writer::timestamp_comment(1700000000123456), ": t=1700000000123456\n");
}

TEST(sse_writer, non_streamed_chat_completion_to_the_byte)
{
    EXPECT_EQ(sse_writer(ctx(false)).chat_completion(hello()),
              R"({"choices":[{"finish_reason":"stop","index":0,"message":{"role":"assistant","content":"Hello world"}}],)"
              R"("created":1754524122,"model":"ai/smollm2","system_fingerprint":"b6097-9515c613","object":"chat.completion",)"
              R"("usage":{"completion_tokens":2,"prompt_tokens":10,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0}},)"
              R"("id":"chatcmpl-abc","timings":)" + timings + "}");
}

TEST(sse_writer, non_streamed_tool_call_has_null_content)
{
    planned_reply r;
    r.tool_call = tool_call_reply{"f", "{}", "call_9"};
    r.finish_reason = "tool_calls";
    auto j = nlohmann::json::parse(sse_writer(ctx(false)).chat_completion(r));
    EXPECT_TRUE(j["choices"][0]["message"]["content"].is_null());
    EXPECT_EQ(j["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "f");
    EXPECT_EQ(j["choices"][0]["message"]["tool_calls"][0]["id"], "call_9");
    EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
}

TEST(sse_writer, text_completion_stream)
{
    auto ev = sse_writer(ctx(false)).text_stream(hello());
    ASSERT_EQ(ev.size(), 4u);
    EXPECT_EQ(ev[0], R"(data: {"choices":[{"text":"Hello","index":0,"logprobs":null,"finish_reason":null}],"created":1754524122,)"
                     R"("model":"ai/smollm2","system_fingerprint":"b6097-9515c613","object":"text_completion","id":"chatcmpl-abc"})"
                     "\n\n");
    EXPECT_EQ(ev[3], "data: [DONE]\n\n");
}
