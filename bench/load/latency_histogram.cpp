#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mrb::bench {

namespace {
constexpr std::uint64_t sub_count = std::uint64_t{1} << latency_histogram::sub_bits;
// Values below sub_count map 1:1 (octave 0); above, octave k holds [2^(k+sub_bits-1), 2^(k+sub_bits)).
constexpr std::size_t bucket_count = sub_count * (latency_histogram::octaves + 1);
}  // namespace

latency_histogram::latency_histogram() : counts_(bucket_count, 0) {}

std::size_t latency_histogram::index_of(std::uint64_t value) noexcept {
    if (value < sub_count) return static_cast<std::size_t>(value);
    const int msb = 63 - std::countl_zero(value);          // >= sub_bits
    const int octave = msb - sub_bits + 1;                  // >= 1
    const std::uint64_t sub = value >> (octave - 1);        // in [sub_count/2 .. sub_count) * 2
    // sub has its top bit at position sub_bits, so it lies in [sub_count, 2*sub_count).
    return static_cast<std::size_t>(octave) * sub_count + static_cast<std::size_t>(sub - sub_count);
}

std::uint64_t latency_histogram::highest_equivalent(std::size_t index) noexcept {
    const std::size_t octave = index / sub_count;
    const std::uint64_t sub = index % sub_count;
    if (octave == 0) return sub;
    const std::uint64_t low = (sub + sub_count) << (octave - 1);
    return low + ((std::uint64_t{1} << (octave - 1)) - 1);
}

void latency_histogram::record(std::uint64_t value) noexcept {
    ++counts_[index_of(value)];
    ++count_;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    sum_ += value;
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
}

void latency_histogram::reset() noexcept {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = 0;
    min_ = UINT64_MAX;
    max_ = 0;
    sum_ = 0;
}

double latency_histogram::mean() const noexcept {
    return count_ ? static_cast<double>(sum_ / count_) : 0.0;
}

std::uint64_t latency_histogram::percentile(double q) const noexcept {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    const auto target = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * count_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= target) return std::clamp(highest_equivalent(i), min_, max_);
    }
    return max_;
}

std::vector<std::pair<std::uint64_t, double>> latency_histogram::cdf() const {
    std::vector<std::pair<std::uint64_t, double>> out;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size() && seen < count_; ++i) {
        if (!counts_[i]) continue;
        seen += counts_[i];
        out.emplace_back(std::clamp(highest_equivalent(i), min_, max_),
                         static_cast<double>(seen) / static_cast<double>(count_));
    }
    return out;
}

}  // namespace mrb::bench
