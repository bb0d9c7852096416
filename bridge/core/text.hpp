#pragma once
// Small text helpers for header fields, shared by the core and the relay session.
// Case-insensitive comparison is Beast's (field names and tokens are ASCII).

#include <boost/beast/core/string.hpp>

#include <string_view>
#include <utility>

namespace mrb::text {

using boost::beast::iequals;

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
