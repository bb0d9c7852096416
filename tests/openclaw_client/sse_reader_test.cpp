// SSE reader and chat stream folding: every split of a stream gives the same events.
#include "chat_stream.hpp"
#include "sse_reader.hpp"

#include <gtest/gtest.h>

namespace oc = fakes::openclaw;

namespace {

std::vector<oc::sse_event>
feed_in_pieces(std::string_view stream, std::vector<std::size_t> const& cuts)
{
    oc::sse_reader reader;
    std::vector<oc::sse_event> out;
    std::size_t pos = 0;
    for (std::size_t cut : cuts)
    {
        reader.feed(stream.substr(pos, cut - pos), out);
        pos = cut;
    }
    reader.feed(stream.substr(pos), out);
    return out;
}

std::string
describe(std::vector<oc::sse_event> const& events)
{
    std::string s;
    for (auto const& e : events)
        s += (e.is_comment ? "#" : e.type + "|" + e.id + "|") + e.data + "\n";
    return s;
}

// llama.cpp's stream shape, with a timing comment as fake-model-runner can add.
constexpr std::string_view llama_stream =
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}],\"object\":\"chat.completion.chunk\"}\n\n"
    ": sent_us=12\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Hel\"}}],\"object\":\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"lo \xC3\xA9\"}}],\"object\":\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],\"object\":\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":9,\"total_tokens\":12}}\n\n"
    "data: [DONE]\n\n";

}  // namespace

TEST(sse_reader, parses_fields_comments_and_multiline_data)
{
    auto const events = feed_in_pieces(
        "\xEF\xBB\xBF: hello\nevent: ping\nid: 7\ndata: a\ndata:b\nretry: 10\nfoo: bar\n\n"
        "data\n\nevent: empty\n\ndata: x\n\n", {});
    ASSERT_EQ(events.size(), 4u) << describe(events);
    EXPECT_TRUE(events[0].is_comment);
    EXPECT_EQ(events[0].data, " hello");
    EXPECT_EQ(events[1].type, "ping");
    EXPECT_EQ(events[1].id, "7");
    EXPECT_EQ(events[1].data, "a\nb");
    EXPECT_EQ(events[2].data, "");  // `data` alone is an empty data line
    EXPECT_EQ(events[3].type, "message");  // the data-less `event: empty` was dropped
    EXPECT_EQ(events[3].id, "7");  // the last event id persists
    EXPECT_EQ(events[3].data, "x");
}

TEST(sse_reader, every_two_way_split_and_byte_at_a_time_agree)
{
    auto const whole = describe(feed_in_pieces(llama_stream, {}));
    ASSERT_EQ(feed_in_pieces(llama_stream, {}).size(), 7u);
    for (std::size_t cut = 1; cut < llama_stream.size(); ++cut)
        ASSERT_EQ(describe(feed_in_pieces(llama_stream, {cut})), whole) << "cut at " << cut;
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < llama_stream.size(); ++i)
        every.push_back(i);
    EXPECT_EQ(describe(feed_in_pieces(llama_stream, every)), whole);
}

TEST(sse_reader, crlf_and_cr_line_ends_are_equivalent_even_when_split)
{
    std::string crlf;
    std::string cr;
    for (char c : llama_stream)
    {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        cr += c == '\n' ? '\r' : c;
    }
    auto const expected = describe(feed_in_pieces(llama_stream, {}));
    for (std::size_t cut = 1; cut < crlf.size(); ++cut)
        ASSERT_EQ(describe(feed_in_pieces(crlf, {cut})), expected) << "CRLF cut at " << cut;
    EXPECT_EQ(describe(feed_in_pieces(cr, {})), expected);
}

TEST(sse_reader, reports_a_partial_event_at_the_cut)
{
    oc::sse_reader reader;
    std::vector<oc::sse_event> out;
    reader.feed("data: {\"a\":1}\n\ndata: {\"b\"", out);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_TRUE(reader.has_partial_event());
    reader.feed(":2}\n\n", out);
    EXPECT_EQ(out.size(), 2u);
    EXPECT_FALSE(reader.has_partial_event());
    EXPECT_EQ(reader.events_dispatched(), 2u);
}

TEST(chat_stream, folds_text_finish_reason_usage_and_done)
{
    oc::chat_stream chat;
    std::string printed;
    for (auto const& e : feed_in_pieces(llama_stream, {}))
        printed += chat.on_event(e);
    EXPECT_EQ(printed, "Hello \xC3\xA9");
    EXPECT_EQ(chat.text(), printed);
    EXPECT_EQ(chat.finish_reason(), "stop");
    EXPECT_EQ(chat.usage()["total_tokens"], 12);
    EXPECT_TRUE(chat.done());
    EXPECT_EQ(chat.chunks(), 5);
    EXPECT_TRUE(chat.error().empty());
}

TEST(chat_stream, usage_on_the_finish_chunk_and_tool_calls)
{
    // Older llama.cpp builds put usage on the finish_reason chunk.
    oc::chat_stream chat;
    oc::sse_event e;
    e.data = R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"read"}}]},"finish_reason":null}]})";
    chat.on_event(e);
    e.data = R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"total_tokens":4}})";
    chat.on_event(e);
    EXPECT_EQ(chat.tool_call_deltas(), 1);
    EXPECT_EQ(chat.finish_reason(), "tool_calls");
    EXPECT_EQ(chat.usage()["total_tokens"], 4);
    EXPECT_FALSE(chat.done());
}

TEST(chat_stream, flags_events_that_are_not_chunks)
{
    oc::chat_stream not_json;
    oc::sse_event e;
    e.data = "<html>";
    not_json.on_event(e);
    EXPECT_NE(not_json.error().find("not JSON"), std::string::npos);

    oc::chat_stream error_event;
    e.data = R"({"error":{"code":500,"message":"boom","type":"server_error"}})";
    error_event.on_event(e);
    EXPECT_NE(error_event.error().find("boom"), std::string::npos);
    EXPECT_TRUE(error_event.finish_reason().empty());
}
