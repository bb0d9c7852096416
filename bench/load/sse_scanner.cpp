#include "sse_scanner.hpp"

#include <charconv>

namespace mrb::bench {

void sse_scanner::reset() { *this = sse_scanner{}; }

std::size_t sse_scanner::feed(std::string_view bytes, std::vector<sse_event>& out) {
    const std::size_t before = out.size();
    for (char c : bytes) {
        if (after_cr_) {
            after_cr_ = false;
            if (c == '\n') continue;
        }
        if (c == '\r' || c == '\n') {
            after_cr_ = (c == '\r');
            if (line_len_ == 0) {
                end_block(out);
            } else {
                end_line();
            }
            continue;
        }
        if (line_.size() < keep_) line_.push_back(c);
        ++line_len_;
    }
    return out.size() - before;
}

void sse_scanner::end_line() {
    std::string_view line{line_};
    if (line.front() == ':') {
        has_comment_ = true;
        // ": t=1234" (one optional space after the colon, as the stand-ins write it)
        std::string_view rest = line.substr(1);
        if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        if (rest.starts_with("t=")) {
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(rest.data() + 2, rest.data() + rest.size(), v);
            if (ec == std::errc{} && p != rest.data() + 2) pending_.stamp_us = v;
        }
    } else {
        has_field_ = true;
        if (line_len_ == line.size() && (line == "data: [DONE]" || line == "data:[DONE]")) pending_.done = true;
    }
    line_.clear();
    line_len_ = 0;
}

void sse_scanner::end_block(std::vector<sse_event>& out) {
    if (has_field_) {
        out.push_back(pending_);
        ++events_;
    } else if (has_comment_) {
        ++comment_blocks_;
    }
    pending_ = sse_event{};
    has_field_ = false;
    has_comment_ = false;
}

}  // namespace mrb::bench
