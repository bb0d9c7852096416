// Fuzz target: the SSE event counter. Invariants: the count does not depend on how the stream
// is cut into pieces (a proxy may re-chunk anywhere, even inside CRLF), each feed() returns the
// events its bytes completed, and the total equals a whole-stream reference count written here.
// Input: one byte choosing the piece lengths' count, those lengths, then the stream.

#include "fuzz_support.hpp"

#include "core/sse_counter.hpp"

#include <vector>

namespace {

// Reference: split the whole stream into lines (CRLF, CR or LF end a line), count blank lines
// that close a block holding a `data` field (name `data`, alone or before ':').
std::uint64_t reference_count(std::string_view s)
{
    std::uint64_t events = 0;
    bool has_data = false;
    std::size_t i = 0;
    while (i < s.size())
    {
        const auto end = s.find_first_of("\r\n", i);
        if (end == std::string_view::npos)
            break; // an unfinished line ends nothing
        const auto line = s.substr(i, end - i);
        i = end + 1;
        if (s[end] == '\r' && i < s.size() && s[i] == '\n')
            ++i;
        if (line.empty())
        {
            events += has_data ? 1 : 0;
            has_data = false;
        }
        else if (line == "data" || line.substr(0, 5) == "data:")
            has_data = true;
    }
    return events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    mrb::fuzz::byte_reader in(data, size);
    const auto lengths = in.split_lengths();
    const auto stream = in.rest();

    mrb::sse_counter whole;
    const auto whole_events = whole.feed(stream);
    FUZZ_CHECK(whole_events == whole.events(), "feed() and events() disagree");

    mrb::sse_counter split;
    std::uint64_t returned = 0;
    mrb::fuzz::for_each_piece(stream, lengths, [&](std::string_view piece) { returned += split.feed(piece); });
    FUZZ_CHECK(split.events() == whole.events(), "count depends on the split: " + mrb::fuzz::printable(stream));
    FUZZ_CHECK(returned == split.events(), "feed() results do not add up");

    // Byte by byte: the finest split there is.
    mrb::sse_counter bytes;
    for (char c : stream)
        bytes.feed(std::string_view(&c, 1));
    FUZZ_CHECK(bytes.events() == whole.events(), "byte-by-byte count differs: " + mrb::fuzz::printable(stream));

    FUZZ_CHECK(whole.events() == reference_count(stream),
               "count " + std::to_string(whole.events()) + " != reference " +
                   std::to_string(reference_count(stream)) + ": " + mrb::fuzz::printable(stream));
    return 0;
}
