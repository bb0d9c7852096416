#pragma once
// Log-bucketed latency histogram in the spirit of HdrHistogram: each power of two is split into
// 2^sub_bits linear sub-buckets, so any recorded value is kept within 1/2^sub_bits (~0.8 %)
// relative error, with a fixed footprint and O(1) recording on the hot path.
#include <cstdint>
#include <utility>
#include <vector>

namespace mrb::bench {

class latency_histogram {
public:
    static constexpr int sub_bits = 7;  // 128 sub-buckets per octave
    static constexpr int octaves = 64 - sub_bits;

    latency_histogram();

    // Values are nanoseconds by convention (any unsigned unit works).
    void record(std::uint64_t value) noexcept;
    void merge(const latency_histogram& other) noexcept;
    void reset() noexcept;

    std::uint64_t count() const noexcept { return count_; }
    std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
    std::uint64_t max() const noexcept { return max_; }
    double mean() const noexcept;

    // Smallest recorded-bucket value v such that at least q (0..1) of the samples are <= v.
    std::uint64_t percentile(double q) const noexcept;

    // Cumulative distribution as (value, fraction <= value) points, one per non-empty bucket.
    std::vector<std::pair<std::uint64_t, double>> cdf() const;

    // Bucket arithmetic, public for tests.
    static std::size_t index_of(std::uint64_t value) noexcept;
    static std::uint64_t highest_equivalent(std::size_t index) noexcept;

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    long double sum_ = 0;
};

}  // namespace mrb::bench
