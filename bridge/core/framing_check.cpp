#include "framing_check.hpp"

#include "text.hpp"

#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <cstdint>
#include <optional>
#include <string>

namespace mrb {
namespace http = boost::beast::http;
namespace {

using text::as_range;
using text::iequals;
using text::trim;

// Calls f(element) for each comma-separated element (trimmed, possibly empty).
template <class F>
void for_each_element(std::string_view list, F&& f)
{
    for (;;)
    {
        const auto comma = list.find(',');
        f(trim(list.substr(0, comma)));
        if (comma == std::string_view::npos)
            return;
        list.remove_prefix(comma + 1);
    }
}

// All Content-Length values (fields and comma lists) must be plain digits and equal.
framing_error check_content_length(const http::fields& fields)
{
    std::optional<std::string_view> first;
    framing_error result = framing_error::none;
    for (const auto& f : as_range(fields.equal_range(http::field::content_length)))
    {
        for_each_element(f.value(), [&](std::string_view v) {
            if (result != framing_error::none)
                return;
            if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
            {
                result = framing_error::invalid_content_length;
                return;
            }
            // Leading zeros are equal values ("05" == "5").
            auto strip = [](std::string_view d) {
                while (d.size() > 1 && d.front() == '0')
                    d.remove_prefix(1);
                return d;
            };
            if (!first)
                first = strip(v);
            else if (*first != strip(v))
                result = framing_error::conflicting_content_length;
        });
    }
    return result;
}

// Transfer-Encoding must end in exactly one `chunked`, with only known codings before it.
framing_error check_transfer_encoding(const http::fields& fields)
{
    bool seen_chunked = false;
    bool last_chunked = false;
    bool bad = false;
    for (const auto& f : as_range(fields.equal_range(http::field::transfer_encoding)))
    {
        for_each_element(f.value(), [&](std::string_view v) {
            if (v.empty() || seen_chunked)
            {
                bad = true; // empty element, or anything after (or a second) chunked
                return;
            }
            if (iequals(v, "chunked"))
            {
                seen_chunked = last_chunked = true;
                return;
            }
            if (!(iequals(v, "gzip") || iequals(v, "deflate") || iequals(v, "compress") || iequals(v, "x-gzip")))
                bad = true;
        });
    }
    return bad || !last_chunked ? framing_error::transfer_encoding_not_chunked : framing_error::none;
}

} // namespace

std::string_view describe(framing_error e) noexcept
{
    switch (e)
    {
    case framing_error::none: return "ok";
    case framing_error::bare_cr: return "bare CR in the request head";
    case framing_error::bare_lf: return "bare LF line ending in the request head";
    case framing_error::nul_byte: return "NUL byte in the request head";
    case framing_error::control_byte: return "control character in a header field";
    case framing_error::obs_fold: return "obsolete line folding (line starting with whitespace)";
    case framing_error::space_before_colon: return "whitespace between header name and colon";
    case framing_error::empty_field_name: return "empty header field name";
    case framing_error::missing_colon: return "header line without a colon";
    case framing_error::content_length_with_transfer_encoding: return "both Content-Length and Transfer-Encoding";
    case framing_error::transfer_encoding_not_chunked: return "Transfer-Encoding that does not end in a single chunked";
    case framing_error::invalid_content_length: return "invalid Content-Length";
    case framing_error::conflicting_content_length: return "conflicting Content-Length values";
    case framing_error::chunked_in_http10: return "Transfer-Encoding in an HTTP/1.0 request";
    case framing_error::missing_host: return "missing Host header";
    case framing_error::duplicate_host: return "more than one Host header";
    case framing_error::invalid_host: return "invalid Host header";
    case framing_error::bad_chunk: return "malformed chunked body";
    case framing_error::framing_in_trailer: return "Content-Length, Transfer-Encoding or Host in a trailer";
    }
    return "invalid framing";
}

namespace {

// Skips bytes that need no attention in a head (none below 0x20, no DEL) eight at a time: the
// head check runs on every request and response head, and byte by byte it cost ~6 instructions
// a byte. Returns the first position whose 8-byte word holds such a byte (or near the end).
std::size_t skip_plain_bytes(std::string_view s, std::size_t pos) noexcept
{
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t highs = 0x8080808080808080ull;
    while (pos + 8 <= s.size())
    {
        std::uint64_t w;
        std::memcpy(&w, s.data() + pos, 8);
        const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs; // some byte < 0x20
        const std::uint64_t x = w ^ (ones * 0x7f);
        const std::uint64_t del = (x - ones) & ~x & highs; // some byte == 0x7f
        if (below_space | del)
            break;
        pos += 8;
    }
    return pos;
}

} // namespace

framing_error check_raw_head(std::string_view head) noexcept
{
    bool first_line = true;
    std::size_t pos = 0;
    while (pos < head.size())
    {
        // Find the end of this line, validating line endings and control bytes on the way.
        std::size_t end = skip_plain_bytes(head, pos);
        for (; end < head.size(); ++end)
        {
            const auto c = static_cast<unsigned char>(head[end]);
            if (c == '\r')
            {
                if (end + 1 >= head.size() || head[end + 1] != '\n')
                    return framing_error::bare_cr;
                break;
            }
            if (c == '\n')
                return framing_error::bare_lf;
            if (c == 0)
                return framing_error::nul_byte;
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return framing_error::control_byte;
        }
        const std::string_view line = head.substr(pos, end - pos);
        pos = end + 2;
        if (first_line)
        {
            first_line = false; // request line: Beast validates method, target, version
            continue;
        }
        if (line.empty())
            break; // end of head
        if (line.front() == ' ' || line.front() == '\t')
            return framing_error::obs_fold;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return framing_error::missing_colon;
        if (colon == 0)
            return framing_error::empty_field_name;
        if (line[colon - 1] == ' ' || line[colon - 1] == '\t')
            return framing_error::space_before_colon;
    }
    return framing_error::none;
}

framing_error check_chunked_prefix(std::string_view b) noexcept
{
    std::size_t pos = 0;
    // Returns the line at pos (without CRLF) and moves past it; nullopt if incomplete; sets
    // bad on a bare CR/LF.
    bool bad = false;
    auto next_line = [&](std::string_view& line) -> bool {
        for (std::size_t i = pos; i < b.size(); ++i)
        {
            if (b[i] == '\n')
            {
                bad = true; // LF without CR
                return false;
            }
            if (b[i] == '\r')
            {
                if (i + 1 >= b.size())
                    return false; // need more
                if (b[i + 1] != '\n')
                {
                    bad = true;
                    return false;
                }
                line = b.substr(pos, i - pos);
                pos = i + 2;
                return true;
            }
        }
        return false;
    };
    for (;;)
    {
        std::string_view line;
        if (!next_line(line))
            return bad ? framing_error::bad_chunk : framing_error::none;
        // chunk-size: 1*HEXDIG, at most 15 digits (no 0x, sign, '_' or whitespace)
        std::size_t digits = 0;
        std::uint64_t size = 0;
        while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits])))
        {
            const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(line[digits])));
            size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
            ++digits;
        }
        if (digits == 0 || digits > 15)
            return framing_error::bad_chunk;
        const std::string_view ext = line.substr(digits);
        if (!ext.empty() && ext.front() != ';')
            return framing_error::bad_chunk;
        for (char c : ext)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                return framing_error::bad_chunk;
        if (size == 0)
            break;
        if (b.size() - pos < size + 2)
            return framing_error::none; // data (or its CRLF) not all here yet
        if (b.compare(pos + size, 2, "\r\n") != 0)
            return framing_error::bad_chunk;
        pos += size + 2;
    }
    // Trailer section: fields, then an empty line.
    for (;;)
    {
        std::string_view line;
        if (!next_line(line))
            return bad ? framing_error::bad_chunk : framing_error::none;
        if (line.empty())
            return framing_error::none;
        if (line.front() == ' ' || line.front() == '\t')
            return framing_error::bad_chunk;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return framing_error::bad_chunk;
        const auto name = line.substr(0, colon);
        if (iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "host"))
            return framing_error::framing_in_trailer;
    }
}

framing_error check_request_framing(const http::request_header<>& header)
{
    const bool has_cl = header.find(http::field::content_length) != header.end();
    const bool has_te = header.find(http::field::transfer_encoding) != header.end();
    if (has_te && header.version() < 11)
        return framing_error::chunked_in_http10;
    if (has_cl && has_te)
        return framing_error::content_length_with_transfer_encoding;
    if (has_te)
        if (auto e = check_transfer_encoding(header); e != framing_error::none)
            return e;
    if (has_cl)
        if (auto e = check_content_length(header); e != framing_error::none)
            return e;

    const auto hosts = header.equal_range(http::field::host);
    const auto host_count = std::distance(hosts.first, hosts.second);
    if (host_count > 1)
        return framing_error::duplicate_host;
    if (host_count == 0)
        return header.version() >= 11 ? framing_error::missing_host : framing_error::none;
    // Host is replaced before forwarding, but a malformed one still means a confused client.
    const std::string_view host = hosts.first->value();
    if (!host.empty())
    {
        auto authority = boost::urls::parse_authority(host);
        if (!authority || authority->has_userinfo())
            return framing_error::invalid_host;
    }
    return framing_error::none;
}

framing_error check_response_framing(const http::response_header<>& header)
{
    const bool has_cl = header.find(http::field::content_length) != header.end();
    const bool has_te = header.find(http::field::transfer_encoding) != header.end();
    if (has_cl && has_te)
        return framing_error::content_length_with_transfer_encoding;
    if (has_te)
        if (auto e = check_transfer_encoding(header); e != framing_error::none)
            return e;
    if (has_cl)
        return check_content_length(header);
    return framing_error::none;
}

} // namespace mrb
