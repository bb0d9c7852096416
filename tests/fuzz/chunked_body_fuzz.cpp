// Fuzz target: chunked body checking (chunk_checker, check_chunked_prefix) across arbitrary
// arrival pieces. Invariants: the verdict (failed, done and where, or still waiting) is the same
// whole, piece by piece and byte by byte; it equals that of an independent strict decoder written
// here from RFC 9112 section 7.1 and the checker's documented limits (1-15 hex digits, an
// extension of non-control bytes after ';', at most 4096 bytes per extension or trailer field,
// no Content-Length, Transfer-Encoding or Host in the trailer); and check_chunked_prefix agrees.
// Input: a byte giving the number of piece lengths, those lengths, then the body.

#include "fuzz_support.hpp"

#include "core/framing_check.hpp"

#include <cctype>

namespace {

enum class verdict { waiting, done, failed };

struct outcome
{
    verdict v = verdict::waiting;
    std::size_t used = 0; // bytes of the body when done
};

bool is_ctl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

bool iequal(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Reads line by line over the whole input: a line ends at CRLF. A line not yet complete is
// "waiting" only while the bytes seen can still become valid, so a bad byte fails at once.
struct reference_decoder
{
    std::string_view s;
    std::size_t pos = 0;

    enum class ending { complete, partial, cr_at_end, bad };

    ending line(std::string_view& out)
    {
        std::size_t i = pos;
        while (i < s.size() && s[i] != '\r' && s[i] != '\n')
            ++i;
        out = s.substr(pos, i - pos);
        if (i == s.size())
            return ending::partial;
        if (s[i] == '\n')
            return ending::bad; // bare LF
        if (i + 1 == s.size())
            return ending::cr_at_end;
        if (s[i + 1] != '\n')
            return ending::bad; // bare CR
        pos = i + 2;
        return ending::complete;
    }

    // chunk-size [ ";" extension ], possibly cut short.
    static bool size_line_prefix_ok(std::string_view l)
    {
        std::size_t d = 0;
        while (d < l.size() && std::isxdigit(static_cast<unsigned char>(l[d])))
            ++d;
        if (d > 15)
            return false;
        if (d == l.size())
            return true;
        if (d == 0 || l[d] != ';')
            return false;
        const auto ext = l.substr(d + 1);
        for (char c : ext)
            if (is_ctl(static_cast<unsigned char>(c)))
                return false;
        return ext.size() <= 4096;
    }
    static bool size_line_ok(std::string_view l) { return !l.empty() && size_line_prefix_ok(l); }

    // name ":" value, possibly cut short (then the colon may be missing yet).
    static bool trailer_prefix_ok(std::string_view l)
    {
        if (l.empty() || l.front() == ' ' || l.front() == '\t' || l.front() == ':')
            return false;
        const auto colon = l.find(':');
        const auto name = l.substr(0, colon);
        for (char c : name)
            if (c == ' ' || c == '\t' || is_ctl(static_cast<unsigned char>(c)))
                return false;
        if (colon == std::string_view::npos)
            return name.size() <= 4096;
        if (iequal(name, "content-length") || iequal(name, "transfer-encoding") || iequal(name, "host"))
            return false;
        const auto value = l.substr(colon + 1);
        for (char c : value)
            if (is_ctl(static_cast<unsigned char>(c)))
                return false;
        return name.size() + value.size() <= 4096;
    }
    static bool trailer_ok(std::string_view l)
    {
        return trailer_prefix_ok(l) && l.find(':') != std::string_view::npos;
    }

    outcome run()
    {
        for (;;)
        {
            std::string_view l;
            switch (line(l))
            {
            case ending::partial: return {size_line_prefix_ok(l) ? verdict::waiting : verdict::failed, 0};
            case ending::cr_at_end: return {size_line_ok(l) ? verdict::waiting : verdict::failed, 0};
            case ending::bad: return {verdict::failed, 0};
            case ending::complete: break;
            }
            if (!size_line_ok(l))
                return {verdict::failed, 0};
            std::uint64_t n = 0;
            for (char c : l.substr(0, l.find(';')))
                n = n * 16 + static_cast<std::uint64_t>(std::isdigit(static_cast<unsigned char>(c))
                                                            ? c - '0'
                                                            : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
            if (n == 0)
                break; // last-chunk
            if (s.size() - pos < n)
                return {verdict::waiting, 0};
            pos += n;
            if (pos == s.size() || (s[pos] == '\r' && pos + 1 == s.size()))
                return {verdict::waiting, 0};
            if (s[pos] != '\r' || s[pos + 1] != '\n')
                return {verdict::failed, 0};
            pos += 2;
        }
        // The trailer section, then the empty line.
        for (;;)
        {
            std::string_view l;
            switch (line(l))
            {
            case ending::partial:
                return {l.empty() || trailer_prefix_ok(l) ? verdict::waiting : verdict::failed, 0};
            case ending::cr_at_end: return {l.empty() || trailer_ok(l) ? verdict::waiting : verdict::failed, 0};
            case ending::bad: return {verdict::failed, 0};
            case ending::complete: break;
            }
            if (l.empty())
                return {verdict::done, pos};
            if (!trailer_ok(l))
                return {verdict::failed, 0};
        }
    }
};

outcome of(const mrb::chunk_checker& c, std::size_t used)
{
    if (c.error() != mrb::framing_error::none)
        return {verdict::failed, 0};
    if (c.done())
        return {verdict::done, used};
    return {verdict::waiting, 0};
}

const char* name(verdict v) { return v == verdict::done ? "done" : v == verdict::failed ? "failed" : "waiting"; }

std::string describe(const outcome& o) { return std::string(name(o.v)) + "@" + std::to_string(o.used); }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    mrb::fuzz::byte_reader in(data, size);
    const auto lengths = in.split_lengths();
    const auto body = in.rest();

    mrb::chunk_checker whole;
    const auto whole_used = whole.feed(body);
    const auto expected = of(whole, whole_used);
    FUZZ_CHECK(whole_used <= body.size(), "consumed more than it was given");
    if (expected.v == verdict::waiting)
        FUZZ_CHECK(whole_used == body.size(), "waiting but did not take every byte");

    mrb::chunk_checker split;
    std::size_t split_used = 0;
    mrb::fuzz::for_each_piece(body, lengths, [&](std::string_view piece) { split_used += split.feed(piece); });
    const auto got = of(split, split_used);
    FUZZ_CHECK(got.v == expected.v && got.used == expected.used,
               "split changes the verdict: " + describe(got) + " vs " + describe(expected) + " for " +
                   mrb::fuzz::printable(body));

    mrb::chunk_checker bytes;
    std::size_t bytes_used = 0;
    for (char c : body)
        bytes_used += bytes.feed(std::string_view(&c, 1));
    const auto got_bytes = of(bytes, bytes_used);
    FUZZ_CHECK(got_bytes.v == expected.v && got_bytes.used == expected.used,
               "byte-by-byte verdict differs: " + describe(got_bytes) + " vs " + describe(expected));

    FUZZ_CHECK((mrb::check_chunked_prefix(body) != mrb::framing_error::none) == (expected.v == verdict::failed),
               "check_chunked_prefix disagrees with chunk_checker");

    const auto reference = reference_decoder{body}.run();
    FUZZ_CHECK(reference.v == expected.v && reference.used == expected.used,
               "checker " + describe(expected) + " but strict decoder " + describe(reference) + " for " +
                   mrb::fuzz::printable(body));
    return 0;
}
