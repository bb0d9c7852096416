#include "core/sse_counter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

const std::string stream =
    ": comment block, not an event\n\n"
    "retry: 1000\n\n"
    "id: 1\r\nevent: message\r\ndata: {\"a\":\"\xc3\xa9\"}\r\n\r\n"
    "data\n\n"
    "data: one\ndata: two\n\n"
    "data: cr only\r\r"
    "data: [DONE]\n\n";

TEST(sse_counter, counts_events_fed_at_once)
{
    mrb::sse_counter c;
    EXPECT_EQ(c.feed(stream), 5u);
    EXPECT_EQ(c.events(), 5u);
}

// Every split point, including inside CRLF and inside "data:", gives the same count.
TEST(sse_counter, any_split_gives_the_same_count)
{
    for (std::size_t i = 0; i <= stream.size(); ++i)
    {
        mrb::sse_counter c;
        const auto a = c.feed(std::string_view(stream).substr(0, i));
        const auto b = c.feed(std::string_view(stream).substr(i));
        EXPECT_EQ(a + b, 5u) << "split at " << i;
    }
}

TEST(sse_counter, byte_at_a_time)
{
    mrb::sse_counter c;
    std::size_t total = 0;
    for (char ch : stream)
        total += c.feed(std::string_view(&ch, 1));
    EXPECT_EQ(total, 5u);
}

TEST(sse_counter, event_completes_only_at_blank_line)
{
    mrb::sse_counter c;
    EXPECT_EQ(c.feed("data: x\n"), 0u);
    EXPECT_EQ(c.feed("\n"), 1u);
    EXPECT_EQ(c.feed("data: y\r\n"), 0u);
    EXPECT_EQ(c.feed("\r\n"), 1u);
}

TEST(sse_counter, non_data_fields_are_not_events)
{
    mrb::sse_counter c;
    EXPECT_EQ(c.feed("event: ping\n\ndatax: 1\n\n:data\n\n"), 0u);
}

TEST(sse_counter, non_sse_json_counts_nothing)
{
    mrb::sse_counter c;
    EXPECT_EQ(c.feed("{\"object\":\"list\",\"data\":[]}\n\n"), 0u);
}

} // namespace
