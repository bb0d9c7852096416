#include "framing_check.hpp"

#include "text.hpp"

#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
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

// All Content-Length values (fields and comma lists) must be plain digits and equal; `length`
// receives the value.
framing_error check_content_length(const http::fields& fields, std::uint64_t& length)
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
    length = 0;
    if (result == framing_error::none && first)
        for (char c : *first)
            length = length * 10 + static_cast<std::uint64_t>(c - '0');
    return result;
}

// Exactly one element over all Transfer-Encoding fields, and it is `chunked`. Other codings
// (gzip...) are refused rather than relayed: nothing in this chain uses them, and a coding the
// bridge does not decode is one more way for two parsers to disagree (Squid answers 501, Go's
// server refuses more than one field).
framing_error check_transfer_encoding(const http::fields& fields)
{
    int elements = 0;
    bool bad = false;
    for (const auto& f : as_range(fields.equal_range(http::field::transfer_encoding)))
        for_each_element(f.value(), [&](std::string_view v) {
            ++elements;
            if (!iequals(v, "chunked"))
                bad = true;
        });
    return bad || elements != 1 ? framing_error::transfer_encoding_not_chunked : framing_error::none;
}

// The framing fields common to both directions.
framing_decision decide_body_framing(const http::fields& fields)
{
    const bool has_cl = fields.find(http::field::content_length) != fields.end();
    const bool has_te = fields.find(http::field::transfer_encoding) != fields.end();
    framing_decision d;
    if (has_cl && has_te)
        d.error = framing_error::content_length_with_transfer_encoding;
    else if (has_te)
    {
        d.error = check_transfer_encoding(fields);
        d.body.type = body_framing::kind::chunked;
    }
    else if (has_cl)
    {
        d.error = check_content_length(fields, d.body.length);
        d.body.type = body_framing::kind::content_length;
    }
    if (d.error != framing_error::none)
        d.body = {};
    return d;
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

void chunk_checker::end_trailer_name() noexcept
{
    if (iequals(name_, "content-length") || iequals(name_, "transfer-encoding") || iequals(name_, "host"))
        fail(framing_error::framing_in_trailer);
    else
        state_ = state::trailer_value;
}

std::size_t chunk_checker::feed(std::string_view b) noexcept
{
    auto is_ctl = [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; };
    std::size_t i = 0;
    while (i < b.size())
    {
        const auto c = static_cast<unsigned char>(b[i]);
        switch (state_)
        {
        case state::done:
        case state::failed:
            return i;
        case state::data:
        {
            // The bulk of a body: skipped in one step.
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, b.size() - i));
            remaining_ -= take;
            i += take;
            if (remaining_ == 0)
                state_ = state::data_cr;
            continue;
        }
        case state::size:
            if (std::isxdigit(c))
            {
                if (++count_ > max_digits)
                    return fail(framing_error::bad_chunk), i;
                const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
                remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
            }
            else if (count_ == 0 || (c != ';' && c != '\r'))
                return fail(framing_error::bad_chunk), i; // no digits, or 0x, sign, '_', space...
            else if (c == ';')
            {
                state_ = state::ext;
                count_ = 0;
            }
            else
                state_ = state::size_lf;
            break;
        case state::ext:
            if (c == '\r')
                state_ = state::size_lf;
            else if (is_ctl(c) || ++count_ > max_line)
                return fail(framing_error::bad_chunk), i; // also a bare LF
            break;
        case state::size_lf:
            if (c != '\n')
                return fail(framing_error::bad_chunk), i;
            count_ = 0;
            state_ = remaining_ == 0 ? state::trailer_start : state::data;
            break;
        case state::data_cr:
            if (c != '\r')
                return fail(framing_error::bad_chunk), i;
            state_ = state::data_lf;
            break;
        case state::data_lf:
            if (c != '\n')
                return fail(framing_error::bad_chunk), i;
            state_ = state::size;
            break;
        case state::trailer_start:
            if (c == '\r')
                state_ = state::last_lf;
            else if (c == ' ' || c == '\t' || c == ':' || is_ctl(c))
                return fail(framing_error::bad_chunk), i; // obs-fold, empty name, bare LF
            else
            {
                name_.assign(1, static_cast<char>(c));
                count_ = 1;
                state_ = state::trailer_name;
            }
            break;
        case state::trailer_name:
            if (c == ':')
            {
                end_trailer_name();
                if (state_ == state::failed)
                    return i;
            }
            else if (c == ' ' || c == '\t' || is_ctl(c) || c == '\r' || ++count_ > max_line)
                return fail(framing_error::bad_chunk), i; // no colon, or whitespace before it
            else if (name_.size() < 32)
                name_.push_back(static_cast<char>(c));
            else
                name_ = "-"; // too long to be a framing field
            break;
        case state::trailer_value:
            if (c == '\r')
                state_ = state::trailer_lf;
            else if (is_ctl(c) || ++count_ > max_line)
                return fail(framing_error::bad_chunk), i;
            break;
        case state::trailer_lf:
            if (c != '\n')
                return fail(framing_error::bad_chunk), i;
            state_ = state::trailer_start;
            break;
        case state::last_lf:
            if (c != '\n')
                return fail(framing_error::bad_chunk), i;
            state_ = state::done;
            return i + 1;
        }
        ++i;
    }
    return i;
}

framing_decision decide_request_framing(const http::request_header<>& header)
{
    const bool has_te = header.find(http::field::transfer_encoding) != header.end();
    if (has_te && header.version() < 11)
        return {framing_error::chunked_in_http10, {}};
    framing_decision d = decide_body_framing(header);
    if (d.error != framing_error::none)
        return d;

    const auto hosts = header.equal_range(http::field::host);
    const auto host_count = std::distance(hosts.first, hosts.second);
    framing_error host_error = framing_error::none;
    if (host_count > 1)
        host_error = framing_error::duplicate_host;
    else if (host_count == 0)
        host_error = header.version() >= 11 ? framing_error::missing_host : framing_error::none;
    else if (const std::string_view host = hosts.first->value(); !host.empty())
    {
        // Host is replaced before forwarding, but a malformed one still means a confused client.
        auto authority = boost::urls::parse_authority(host);
        if (!authority || authority->has_userinfo())
            host_error = framing_error::invalid_host;
    }
    if (host_error != framing_error::none)
        return {host_error, {}};
    return d;
}

framing_decision decide_response_framing(const http::response_header<>& header)
{
    return decide_body_framing(header);
}

void apply_framing(http::fields& fields, const body_framing& body)
{
    fields.erase(http::field::content_length);
    fields.erase(http::field::transfer_encoding);
    if (body.type == body_framing::kind::chunked)
        fields.set(http::field::transfer_encoding, "chunked");
    else if (body.type == body_framing::kind::content_length)
        fields.set(http::field::content_length, std::to_string(body.length));
}

} // namespace mrb
