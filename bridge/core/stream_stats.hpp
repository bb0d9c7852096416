#pragma once
// What the metrics want to know about a streamed completion, read from its SSE bytes as they
// pass (fed in arbitrary pieces, like core/sse_counter.hpp): the model named in the chunks, the
// completion token count from the final chunk's `usage`, and llama.cpp's own generation speed
// from `timings.predicted_per_second` when present. Only the first data line and lines naming
// `usage` or `timings` are parsed as JSON; the rest is scanned for line ends only.

#include "core/metrics.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mrb {

class stream_stats
{
public:
    /// Feeds the next response body bytes; returns how many `data:` lines they completed.
    std::size_t feed(std::string_view bytes);

    /// The sample for the metrics. `first_event_us`: when the first data line arrived, counted
    /// from the request's start (-1: none); `end_us`: when the stream ended, same origin.
    stream_sample sample(std::int64_t first_event_us, std::int64_t end_us) const;

    const std::string& model() const noexcept { return model_; }
    std::uint64_t data_lines() const noexcept { return data_lines_; }

    /// Lines longer than this are counted but not parsed (a chunk is far smaller).
    static constexpr std::size_t max_line = 64 * 1024;

private:
    void end_line();
    void parse_data(std::string_view payload);

    std::string line_;
    bool line_overflow_ = false;
    bool after_cr_ = false;
    std::uint64_t bytes_ = 0;
    std::uint64_t data_lines_ = 0;
    std::uint64_t done_lines_ = 0; ///< `data: [DONE]`: an event, not a token
    std::string model_;
    std::uint64_t completion_tokens_ = 0;
    double predicted_per_second_ = 0;
};

} // namespace mrb
