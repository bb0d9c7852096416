#include "load/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <random>

namespace mrb::bench {
namespace {

TEST(latency_histogram, small_values_are_exact) {
    latency_histogram h;
    for (std::uint64_t v = 0; v < 128; ++v) h.record(v);
    EXPECT_EQ(h.count(), 128u);
    EXPECT_EQ(h.min(), 0u);
    EXPECT_EQ(h.max(), 127u);
    EXPECT_EQ(h.percentile(0.5), 63u);
    EXPECT_EQ(h.percentile(1.0), 127u);
}

TEST(latency_histogram, bucket_bounds_hold_their_values) {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t v = rng() >> (rng() % 60);
        const auto idx = latency_histogram::index_of(v);
        const auto hi = latency_histogram::highest_equivalent(idx);
        ASSERT_GE(hi, v);
        // relative error bounded by one sub-bucket (1/64 of the octave's base)
        ASSERT_LE(hi - v, v / 64 + 1) << v;
        if (idx > 0) {
            ASSERT_LT(latency_histogram::highest_equivalent(idx - 1), v) << v;
        }
    }
}

TEST(latency_histogram, percentiles_of_a_uniform_ramp) {
    latency_histogram h;
    for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms in ns
    auto near = [](std::uint64_t got, double want) { return std::abs(static_cast<double>(got) - want) <= want * 0.01; };
    EXPECT_TRUE(near(h.percentile(0.5), 50e6)) << h.percentile(0.5);
    EXPECT_TRUE(near(h.percentile(0.99), 99e6)) << h.percentile(0.99);
    EXPECT_TRUE(near(h.percentile(0.999), 99.9e6)) << h.percentile(0.999);
    EXPECT_NEAR(h.mean(), 50.0005e6, 1.0);
    const auto cdf = h.cdf();
    ASSERT_FALSE(cdf.empty());
    EXPECT_DOUBLE_EQ(cdf.back().second, 1.0);
    for (std::size_t i = 1; i < cdf.size(); ++i) EXPECT_LT(cdf[i - 1].first, cdf[i].first);
}

TEST(latency_histogram, merge_adds_counts_and_extremes) {
    latency_histogram a, b;
    a.record(10);
    a.record(20);
    b.record(5000);
    a.merge(b);
    EXPECT_EQ(a.count(), 3u);
    EXPECT_EQ(a.min(), 10u);
    EXPECT_EQ(a.max(), 5000u);
    EXPECT_EQ(a.percentile(0.34), 20u);
    a.reset();
    EXPECT_EQ(a.count(), 0u);
    EXPECT_EQ(a.percentile(0.5), 0u);
}

}  // namespace
}  // namespace mrb::bench
