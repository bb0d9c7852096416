#pragma once
// The steps of bridge/net/relay_session.cpp that decide what a head becomes, without sockets:
// the request fuzz target, the response fuzz target and their invariants share them. The two
// helpers below are copies of relay_session.cpp's file-local ones (keep them in step).

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>

#include "core/framing_check.hpp"

#include <sstream>
#include <string>
#include <string_view>

namespace mrb::fuzz {

/// End of the head: CRLFCRLF, or a bare-LF blank line (then rejected by check_raw_head).
inline std::size_t find_head_end(std::string_view data)
{
    for (std::size_t i = data.find('\n'); i != std::string_view::npos; i = data.find('\n', i + 1))
    {
        if (i + 1 < data.size() && data[i + 1] == '\n')
            return i + 2;
        if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n')
            return i + 3;
    }
    return std::string_view::npos;
}

/// The decision and Beast's parser frame the body alike (the bridge refuses the head otherwise).
template <bool is_request>
bool frames_alike(const body_framing& b, const boost::beast::http::basic_parser<is_request>& p)
{
    switch (b.type)
    {
    case body_framing::kind::chunked: return p.chunked();
    case body_framing::kind::content_length:
        return !p.chunked() && p.content_length() && *p.content_length() == b.length;
    case body_framing::kind::none: return !p.chunked() && !p.content_length();
    }
    return false;
}

/// The head exactly as Beast's serializer writes it upstream.
template <bool is_request>
std::string serialise(const boost::beast::http::header<is_request>& h)
{
    std::ostringstream os;
    os << h;
    return os.str();
}

inline bool same_framing(const body_framing& a, const body_framing& b)
{
    return a.type == b.type && (a.type != body_framing::kind::content_length || a.length == b.length);
}

inline const char* kind_name(body_framing::kind k)
{
    switch (k)
    {
    case body_framing::kind::none: return "none";
    case body_framing::kind::content_length: return "content-length";
    case body_framing::kind::chunked: return "chunked";
    }
    return "?";
}

/// How many fields named `name` (case-insensitively) the head carries.
template <bool is_request>
std::size_t count_fields(const boost::beast::http::header<is_request>& h, boost::beast::http::field f)
{
    const auto r = h.equal_range(f);
    return static_cast<std::size_t>(std::distance(r.first, r.second));
}

} // namespace mrb::fuzz
