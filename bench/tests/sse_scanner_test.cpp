#include "load/sse_scanner.hpp"

#include <gtest/gtest.h>

namespace mrb::bench {
namespace {

constexpr std::string_view stream =
    ": t=1700000000000001\ndata: {\"a\":1}\n\n"
    ": t=1700000000000002\r\ndata: {\"b\":2}\r\n\r\n"
    ": keep-alive\n\n"
    "data: no stamp\rdata: second line\r\r"
    "data: [DONE]\n\n";

TEST(sse_scanner, splits_events_with_every_line_ending) {
    sse_scanner s;
    std::vector<sse_event> out;
    EXPECT_EQ(s.feed(stream, out), 4u);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].stamp_us, 1700000000000001);
    EXPECT_EQ(out[1].stamp_us, 1700000000000002);
    EXPECT_EQ(out[2].stamp_us, -1);
    EXPECT_FALSE(out[2].done);
    EXPECT_TRUE(out[3].done);
    EXPECT_EQ(s.events(), 4u);
    EXPECT_EQ(s.comment_blocks(), 1u);
}

TEST(sse_scanner, byte_at_a_time_gives_the_same_events) {
    sse_scanner s;
    std::vector<sse_event> out;
    for (char c : stream) s.feed(std::string_view(&c, 1), out);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[1].stamp_us, 1700000000000002);
    EXPECT_TRUE(out[3].done);
}

TEST(sse_scanner, crlf_split_across_feeds_is_one_line_end) {
    sse_scanner s;
    std::vector<sse_event> out;
    EXPECT_EQ(s.feed("data: x\r", out), 0u);
    EXPECT_EQ(s.feed("\n\r", out), 1u);  // CR LF ends the line, the lone CR ends the event
    EXPECT_EQ(s.feed("\n", out), 0u);    // LF after that CR belongs to it: no empty event
    EXPECT_EQ(out.size(), 1u);
}

TEST(sse_scanner, long_lines_are_not_kept_and_not_mistaken_for_done) {
    sse_scanner s;
    std::vector<sse_event> out;
    std::string big = "data: [DONE]" + std::string(100000, 'z') + "\n\n";
    EXPECT_EQ(s.feed(big, out), 1u);
    EXPECT_FALSE(out[0].done);
}

TEST(sse_scanner, malformed_stamp_is_ignored) {
    sse_scanner s;
    std::vector<sse_event> out;
    s.feed(": t=\ndata: a\n\n: t=abc\ndata: b\n\n", out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].stamp_us, -1);
    EXPECT_EQ(out[1].stamp_us, -1);
}

}  // namespace
}  // namespace mrb::bench
