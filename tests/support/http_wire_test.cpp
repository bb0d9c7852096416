// The test helpers' own wire reader must be right, or every assertion built on it is moot.
#include "http_wire.hpp"

#include <gtest/gtest.h>

namespace mrb::test {
namespace {

TEST(http_wire, parses_head_fields_in_order_and_trims_ows)
{
    const auto h = parse_head("HTTP/1.1 404 Not Found\r\nX-A:  1 \r\nx-a: 2\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status(), 404);
    EXPECT_EQ(h->count("X-A"), 2u);
    EXPECT_EQ(h->get("x-A"), "1");
    EXPECT_FALSE(h->has("Via"));
}

TEST(http_wire, rejects_a_field_line_without_colon)
{
    EXPECT_FALSE(parse_head("GET / HTTP/1.1\r\nbroken\r\n\r\n"));
}

TEST(http_wire, decodes_chunks_split_anywhere_and_stops_at_the_end)
{
    const std::string wire = "5;ext=1\r\nhello\r\n1\r\n \r\n0\r\nX-T: 1\r\n\r\nNEXT";
    for (std::size_t split = 0; split <= wire.size() - 4; ++split) {
        chunked_decoder d;
        std::string out;
        std::size_t used = d.feed(std::string_view(wire).substr(0, split), out);
        used += d.feed(std::string_view(wire).substr(split), out);
        EXPECT_TRUE(d.done()) << split;
        EXPECT_EQ(out, "hello ") << split;
        EXPECT_EQ(used, wire.size() - 4) << split;
        EXPECT_EQ(d.trailers(), "X-T: 1\r\n");
    }
}

TEST(http_wire, chunked_decoder_rejects_bad_sizes_and_bare_lf)
{
    for (const char* bad : {"+5\r\nhello\r\n", "0x5\r\nhello\r\n", "5\nhello\r\n", "5\r\nhelloXX"}) {
        chunked_decoder d;
        std::string out;
        d.feed(bad, out);
        EXPECT_TRUE(d.failed()) << bad;
    }
}

TEST(http_wire, chunked_decoder_without_last_chunk_is_not_done)
{
    chunked_decoder d;
    std::string out;
    d.feed("3\r\nabc\r\n", out);
    EXPECT_FALSE(d.done());
    EXPECT_FALSE(d.failed());
    EXPECT_EQ(out, "abc");
}

TEST(http_wire, splits_sse_events_on_blank_lines_lf_or_crlf)
{
    const auto e = sse_events("data: a\n\ndata: b\r\n\r\n: comment\ndata: c\n\ndata: partial\n");
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0], "data: a");
    EXPECT_EQ(e[1], "data: b");
    EXPECT_EQ(e[2], ": comment\ndata: c");
}

}  // namespace
}  // namespace mrb::test
