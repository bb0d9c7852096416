// Fuzz target: the chat request's `stream` scanner (core/chat_error.hpp), which reads request
// bodies from the client. Invariants: the answer does not depend on how the body is cut into
// pieces; and, checked differentially against nlohmann::json, whenever the body is a valid JSON
// object whose member names carry no escapes and whose first `stream` member decides, a known
// answer is that member's truth (absent or null: false). Input: one byte choosing the piece
// lengths' count, those lengths, then the body.

#include "fuzz_support.hpp"

#include "core/chat_error.hpp"

#include <nlohmann/json.hpp>

namespace {

// nlohmann keeps the last of duplicate names, the scanner the first; member names with escapes
// are not recognised by the scanner. Only bodies without either are compared.
bool comparable(std::string_view body, const nlohmann::json& j)
{
    if (!j.is_object() || body.find('\\') != std::string_view::npos)
        return false;
    std::size_t streams = 0;
    for (std::size_t at = body.find("\"stream\""); at != std::string_view::npos; at = body.find("\"stream\"", at + 1))
        ++streams;
    return streams <= 1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    mrb::fuzz::byte_reader in(data, size);
    const auto lengths = in.split_lengths();
    const auto body = in.rest();

    mrb::stream_flag_scanner whole;
    whole.feed(body);
    mrb::stream_flag_scanner split;
    mrb::fuzz::for_each_piece(body, lengths, [&](std::string_view piece) { split.feed(piece); });
    FUZZ_CHECK(split.stream() == whole.stream(), "answer depends on the split: " + mrb::fuzz::printable(body));
    FUZZ_CHECK(split.done() == whole.done(), "done() depends on the split: " + mrb::fuzz::printable(body));

    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !comparable(body, j) || !whole.stream())
        return 0;
    const auto member = j.find("stream");
    if (member == j.end() || member->is_null())
        FUZZ_CHECK(*whole.stream() == false, "absent or null stream read as true: " + mrb::fuzz::printable(body));
    else if (member->is_boolean())
        FUZZ_CHECK(*whole.stream() == member->get<bool>(), "wrong stream value: " + mrb::fuzz::printable(body));
    else
        FUZZ_CHECK(false, "a non-literal stream member was given an answer: " + mrb::fuzz::printable(body));
    return 0;
}
