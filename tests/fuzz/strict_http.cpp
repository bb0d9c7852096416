#include "strict_http.hpp"

#include <cctype>
#include <cstdint>

namespace mrb::fuzz {
namespace {

bool is_tchar(unsigned char c)
{
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_field_char(unsigned char c) { return (c >= 0x21 && c != 0x7f) || c == ' ' || c == '\t'; }

std::string lower(std::string_view s)
{
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim_ows(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_list(std::string_view s)
{
    std::vector<std::string_view> out;
    for (;;)
    {
        const auto comma = s.find(',');
        out.push_back(trim_ows(s.substr(0, comma)));
        if (comma == std::string_view::npos)
            return out;
        s.remove_prefix(comma + 1);
    }
}

// A line ending in CRLF starting at `pos`. 0: incomplete; npos: bare CR or LF; else line end.
constexpr std::size_t bad = std::string_view::npos;
std::size_t line_end(std::string_view s, std::size_t pos)
{
    for (std::size_t i = pos; i < s.size(); ++i)
    {
        if (s[i] == '\n')
            return bad;
        if (s[i] == '\r')
        {
            if (i + 1 == s.size())
                return 0;
            return s[i + 1] == '\n' ? i : bad;
        }
    }
    return 0;
}

strict_parse fail(std::string why)
{
    strict_parse p;
    p.result = strict_parse::status::error;
    p.error = std::move(why);
    return p;
}

} // namespace

strict_parse parse_strict_request(std::string_view s)
{
    constexpr std::size_t max_head = 64 * 1024;
    strict_parse incomplete;
    std::size_t pos = 0;
    while (s.substr(pos, 2) == "\r\n")
        pos += 2;

    // request-line = method SP request-target SP HTTP-version
    auto end = line_end(s, pos);
    if (end == bad)
        return fail("bare CR or LF in the request line");
    if (end == 0)
        return s.size() - pos > max_head ? fail("head too long") : incomplete;
    const auto line = s.substr(pos, end - pos);
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return fail("request line is not method SP target SP version");
    strict_request req;
    req.method = std::string(line.substr(0, sp1));
    req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    const auto version = line.substr(sp2 + 1);
    if (req.method.empty() || req.target.empty())
        return fail("empty method or target");
    for (unsigned char c : req.method)
        if (!is_tchar(c))
            return fail("method is not a token");
    for (unsigned char c : req.target)
        if (c <= 0x20 || c >= 0x7f)
            return fail("bad byte in the target");
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return fail("not HTTP/1.1 or HTTP/1.0");
    const bool http10 = version == "HTTP/1.0";
    pos = end + 2;

    // field-line = field-name ":" OWS field-value OWS
    std::vector<std::string_view> te, cl;
    std::size_t hosts = 0;
    for (;;)
    {
        end = line_end(s, pos);
        if (end == bad)
            return fail("bare CR or LF in a field line");
        if (end == 0)
            return s.size() > max_head ? fail("head too long") : incomplete;
        if (end == pos)
        {
            pos += 2;
            break;
        }
        const auto field = s.substr(pos, end - pos);
        pos = end + 2;
        const auto colon = field.find(':');
        if (colon == 0 || colon == std::string_view::npos)
            return fail("field without a name or a colon");
        const auto name = field.substr(0, colon);
        for (unsigned char c : name)
            if (!is_tchar(c))
                return fail("field name is not a token (obs-fold, space before colon...)");
        const auto value = trim_ows(field.substr(colon + 1));
        for (unsigned char c : value)
            if (!is_field_char(c))
                return fail("control byte in a field value");
        const auto lname = lower(name);
        if (lname == "transfer-encoding")
            te.push_back(value);
        else if (lname == "content-length")
            cl.push_back(value);
        else if (lname == "host")
            ++hosts;
    }
    if (!http10 && hosts != 1)
        return fail("HTTP/1.1 without exactly one Host");

    enum class framing { none, length, chunked } how = framing::none;
    std::uint64_t length = 0;
    if (!te.empty())
    {
        if (http10)
            return fail("Transfer-Encoding in HTTP/1.0");
        if (!cl.empty())
            return fail("Content-Length and Transfer-Encoding");
        std::vector<std::string_view> codings;
        for (auto v : te)
            for (auto c : split_list(v))
                codings.push_back(c);
        if (codings.size() != 1 || lower(codings[0]) != "chunked")
            return fail("transfer coding other than one chunked");
        how = framing::chunked;
    }
    else if (!cl.empty())
    {
        std::optional<std::string_view> first;
        for (auto v : cl)
            for (auto n : split_list(v))
            {
                if (n.empty() || n.size() > 12)
                    return fail("bad Content-Length");
                for (char c : n)
                    if (c < '0' || c > '9')
                        return fail("bad Content-Length");
                if (first && std::stoull(std::string(*first)) != std::stoull(std::string(n)))
                    return fail("conflicting Content-Length");
                first = n;
            }
        how = framing::length;
        length = std::stoull(std::string(*first));
    }

    if (how == framing::length)
    {
        if (s.size() - pos < length)
            return incomplete;
        req.body = std::string(s.substr(pos, length));
        pos += length;
    }
    else if (how == framing::chunked)
    {
        for (;;)
        {
            end = line_end(s, pos);
            if (end == bad)
                return fail("bare CR or LF in a chunk line");
            if (end == 0)
                return incomplete;
            auto size_line = s.substr(pos, end - pos);
            pos = end + 2;
            const auto semi = size_line.find(';');
            for (unsigned char c : size_line.substr(semi == std::string_view::npos ? size_line.size() : semi))
                if (c < 0x20 && c != '\t')
                    return fail("control byte in a chunk extension");
            const auto digits = size_line.substr(0, semi);
            if (digits.empty() || digits.size() > 12)
                return fail("bad chunk size");
            std::uint64_t n = 0;
            for (unsigned char c : digits)
            {
                if (!std::isxdigit(c))
                    return fail("bad chunk size");
                n = n * 16 + static_cast<std::uint64_t>(std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10);
            }
            if (n == 0)
                break;
            if (s.size() - pos < n + 2)
                return incomplete;
            req.body.append(s.substr(pos, n));
            pos += n;
            if (s.substr(pos, 2) != "\r\n")
                return fail("chunk data not followed by CRLF");
            pos += 2;
        }
        for (;;) // trailer section
        {
            end = line_end(s, pos);
            if (end == bad)
                return fail("bare CR or LF in the trailer");
            if (end == 0)
                return incomplete;
            const auto field = s.substr(pos, end - pos);
            pos = end + 2;
            if (field.empty())
                break;
            const auto colon = field.find(':');
            if (colon == 0 || colon == std::string_view::npos)
                return fail("bad trailer field");
            for (unsigned char c : field.substr(0, colon))
                if (!is_tchar(c))
                    return fail("bad trailer field name");
            const auto lname = lower(field.substr(0, colon));
            if (lname == "content-length" || lname == "transfer-encoding" || lname == "host")
                return fail("framing field in the trailer");
        }
    }
    strict_parse p;
    p.result = strict_parse::status::complete;
    p.request = std::move(req);
    p.consumed = pos;
    return p;
}

strict_stream parse_strict_stream(std::string_view bytes)
{
    strict_stream out;
    std::size_t pos = 0;
    while (pos < bytes.size())
    {
        auto p = parse_strict_request(bytes.substr(pos));
        if (p.result == strict_parse::status::error)
        {
            out.error = p.error;
            break;
        }
        if (p.result == strict_parse::status::incomplete)
            break;
        out.requests.push_back(std::move(p.request));
        pos += p.consumed;
    }
    out.rest = bytes.size() - pos;
    return out;
}

std::string origin_form_of(std::string_view target)
{
    if (target.size() < 7 || lower(target.substr(0, 7)) != "http://")
        return std::string(target);
    const auto rest = target.substr(7);
    const auto slash = rest.find_first_of("/?");
    if (slash == std::string_view::npos)
        return "/";
    const auto path = rest.substr(slash);
    return path.front() == '?' ? "/" + std::string(path) : std::string(path);
}

} // namespace mrb::fuzz
