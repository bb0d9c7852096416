#include "sse_counter.hpp"

namespace mrb {

void sse_counter::end_line() noexcept
{
    if (line_len_ == 0)
    {
        if (block_has_data_)
            ++events_;
        block_has_data_ = false;
        return;
    }
    // Field name `data`, either alone on the line or followed by ':'.
    const std::string_view p(prefix_, line_len_ < 5 ? line_len_ : 5);
    if (p == "data" || p == "data:")
        block_has_data_ = true;
    line_len_ = 0;
}

std::size_t sse_counter::feed(std::string_view bytes) noexcept
{
    const std::uint64_t before = events_;
    for (char c : bytes)
    {
        if (c == '\n' && after_cr_)
        {
            after_cr_ = false; // second half of CRLF: the line already ended
            continue;
        }
        after_cr_ = false;
        if (c == '\r' || c == '\n')
        {
            after_cr_ = c == '\r';
            end_line();
            continue;
        }
        if (line_len_ < 5)
            prefix_[line_len_] = c;
        ++line_len_;
    }
    return static_cast<std::size_t>(events_ - before);
}

} // namespace mrb
