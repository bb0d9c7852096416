#pragma once
// Counts Server-Sent Events in a byte stream fed in arbitrary pieces (a proxy may re-chunk, and
// an event may be split anywhere, even inside CRLF). An event is a block of lines ended by a
// blank line that carries at least one `data` field (what an EventSource would dispatch).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mrb {

class sse_counter
{
public:
    /// Feeds the next bytes; returns how many events were completed by them.
    std::size_t feed(std::string_view bytes) noexcept;
    std::uint64_t events() const noexcept { return events_; }

private:
    void end_line() noexcept;

    std::uint64_t events_ = 0;
    char prefix_[5] = {};       // first bytes of the current line ("data:" detection)
    std::size_t line_len_ = 0;  // bytes in the current line so far
    bool after_cr_ = false;     // previous byte was CR: a following LF belongs to it
    bool block_has_data_ = false;
};

} // namespace mrb
