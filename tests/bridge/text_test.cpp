#include "core/text.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

namespace {

using mrb::text::iequals;

TEST(text, iequals_is_ascii_case_insensitive)
{
    EXPECT_TRUE(iequals("Transfer-Encoding", "transfer-encoding"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("chunked", "chunke"));
    EXPECT_FALSE(iequals("a", "b"));
    EXPECT_FALSE(iequals("[", "{")) << "only letters fold";
    EXPECT_FALSE(iequals("\xc3\x84", "\xc3\xa4")) << "no folding beyond ASCII";
    static_assert(iequals("Filtered", "FilteRed"));
}

// Beast 1.81's iequals read one byte past both strings when they differed only in case: here the
// strings end exactly at the end of their allocations, so AddressSanitizer (the asan preset)
// reports any such read.
TEST(text, iequals_reads_nothing_past_the_end)
{
    const std::string_view a_text = "Filtered", b_text = "FilteRed";
    auto a = std::make_unique<char[]>(a_text.size());
    auto b = std::make_unique<char[]>(b_text.size());
    a_text.copy(a.get(), a_text.size());
    b_text.copy(b.get(), b_text.size());
    EXPECT_TRUE(iequals({a.get(), a_text.size()}, {b.get(), b_text.size()}));
}

} // namespace
