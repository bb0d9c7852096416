#include "sse_splitter.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::sse_splitter;

TEST(sse_splitter, splits_events_on_blank_lines) {
  sse_splitter s;
  auto ev = s.feed("data: a\n\ndata: b\n\n");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].data, "a");
  EXPECT_EQ(ev[1].data, "b");
  EXPECT_FALSE(s.has_partial());
}

TEST(sse_splitter, byte_at_a_time_and_crlf_give_the_same_events) {
  const std::string text = "event: x\r\ndata: one\r\ndata: two\r\n\r\n: comment\r\n\r\ndata: [DONE]\r\n\r\n";
  sse_splitter s;
  std::vector<mrb::scenarios::sse_event> all;
  for (char c : text)
    for (auto& e : s.feed(std::string_view(&c, 1))) all.push_back(e);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].event, "x");
  EXPECT_EQ(all[0].data, "one\ntwo");
  EXPECT_EQ(all[1].data, "[DONE]");
}

TEST(sse_splitter, cut_mid_event_is_partial) {
  sse_splitter s;
  EXPECT_TRUE(s.feed("data: a\n\ndata: b").size() == 1);
  EXPECT_TRUE(s.has_partial());
  sse_splitter t;
  t.feed("data: a\n");
  EXPECT_TRUE(t.has_partial());
}

TEST(sse_splitter, comment_only_blocks_are_not_events) {
  sse_splitter s;
  EXPECT_TRUE(s.feed(": ping\n\n").empty());
  EXPECT_FALSE(s.has_partial());
}
