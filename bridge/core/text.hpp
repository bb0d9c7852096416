#pragma once
// Small text helpers for header fields, shared by the core and the relay session.

#include <cstddef>
#include <string_view>
#include <utility>

namespace mrb::text {

/// ASCII case-insensitive equality (field names and tokens are ASCII). Not Beast's: Boost 1.81's
/// `beast::iequals` reads one byte past both strings when they differ only in case before the
/// end (AddressSanitizer found it in recognise_denial through the response_head fuzz target).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
    {
        auto x = static_cast<unsigned char>(a[i]);
        auto y = static_cast<unsigned char>(b[i]);
        if (static_cast<unsigned>(x - 'A') < 26u)
            x |= 0x20;
        if (static_cast<unsigned>(y - 'A') < 26u)
            y |= 0x20;
        if (x != y)
            return false;
    }
    return true;
}

/// Removes optional whitespace (SP / HTAB) around a field value or list element.
inline std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

inline bool istarts_with(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

/// equal_range gives a pair of iterators; this makes it usable in range-for.
template <class It>
struct iterator_range
{
    It first, last;
    It begin() const { return first; }
    It end() const { return last; }
};

template <class It>
iterator_range<It> as_range(std::pair<It, It> p)
{
    return {p.first, p.second};
}

} // namespace mrb::text
