#pragma once
// Incremental server-sent-events splitter for the load client (WHATWG HTML 9.2 line rules:
// CRLF, LF or CR end a line, a blank line ends an event). It keeps at most a short prefix of the
// current line, so a 100 MB stream costs no memory, and it picks out the `: t=<unix micros>`
// comment that the stand-in upstream (and the fake Model Runner) stamps into each event.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mrb::bench {

struct sse_event {
    std::int64_t stamp_us = -1;  // from a `: t=<micros>` comment, -1 when absent
    bool done = false;           // `data: [DONE]`
};

class sse_scanner {
public:
    // Appends every event completed by `bytes` to `out`; returns how many were appended.
    std::size_t feed(std::string_view bytes, std::vector<sse_event>& out);

    std::uint64_t events() const noexcept { return events_; }
    std::uint64_t comment_blocks() const noexcept { return comment_blocks_; }
    void reset();

private:
    void end_line();
    void end_block(std::vector<sse_event>& out);

    static constexpr std::size_t keep_ = 64;  // enough for ": t=...", "data: [DONE]"
    std::string line_;                        // first keep_ bytes of the current line
    std::size_t line_len_ = 0;
    bool after_cr_ = false;  // a CR ended the last line; a following LF belongs to it
    bool has_field_ = false;
    bool has_comment_ = false;
    sse_event pending_;
    std::uint64_t events_ = 0;
    std::uint64_t comment_blocks_ = 0;
};

}  // namespace mrb::bench
