#pragma once
// Shared by the fuzz targets: an invariant check that aborts (libFuzzer records a crash, the
// replay main exits non-zero) and a reader that carves parameters out of the fuzzer's bytes.
// No FuzzedDataProvider: the targets must also build under GCC for the corpus replay.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                                    \
    do                                                                                            \
    {                                                                                             \
        if (!(cond))                                                                              \
            ::mrb::fuzz::fail(__FILE__, __LINE__, #cond, what);                                   \
    } while (0)

namespace mrb::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* cond, std::string_view what)
{
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n  %.*s\n", file, line, cond,
                 static_cast<int>(what.size()), what.data());
    std::abort();
}

/// Escapes bytes for a failure message.
inline std::string printable(std::string_view s, std::size_t max = 400)
{
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < max; ++i)
    {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out += static_cast<char>(c);
        else
        {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > max)
        out += "...";
    return out;
}

/// Takes parameters from the front of the input; what is left is the payload.
class byte_reader
{
public:
    byte_reader(const std::uint8_t* data, std::size_t size)
        : bytes_(reinterpret_cast<const char*>(data), size)
    {
    }

    /// The next byte, or 0 once the input is used up.
    std::uint8_t byte()
    {
        if (bytes_.empty())
            return 0;
        const auto b = static_cast<std::uint8_t>(bytes_.front());
        bytes_.remove_prefix(1);
        return b;
    }

    /// Piece lengths for for_each_piece: a count byte (mod 16), then that many length bytes.
    std::string split_lengths()
    {
        const std::size_t n = byte() % 16;
        std::string lengths;
        for (std::size_t i = 0; i < n; ++i)
            lengths += static_cast<char>(byte());
        return lengths;
    }

    std::string_view rest() const { return bytes_; }
    bool empty() const { return bytes_.empty(); }

private:
    std::string_view bytes_;
};

/// Cuts `text` into pieces whose lengths come from `lengths` (cycled; 0 counts as 1), the way
/// a socket might deliver it.
template <typename Fn>
void for_each_piece(std::string_view text, std::string_view lengths, Fn&& fn)
{
    std::size_t i = 0;
    while (!text.empty())
    {
        std::size_t n = lengths.empty() ? text.size() : static_cast<unsigned char>(lengths[i++ % lengths.size()]);
        n = n == 0 ? 1 : n;
        if (n > text.size())
            n = text.size();
        fn(text.substr(0, n));
        text.remove_prefix(n);
    }
}

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
inline bool is_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size())
    {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 99;
        if (n == 99 || i + n >= s.size())
            return false;
        std::uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1f) : n == 2 ? (c & 0x0f) : (c & 0x07);
        for (std::size_t k = 1; k <= n; ++k)
        {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

} // namespace mrb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
