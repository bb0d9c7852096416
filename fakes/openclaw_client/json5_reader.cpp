#include "json5_reader.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace fakes::openclaw {

namespace {

// Decodes one UTF-8 code point at `pos`; invalid bytes decode as U+FFFD of length 1, as
// Node's reading of a file would replace them.
struct decoded
{
    int code_point;
    int length;
};

decoded
decode_utf8(std::string_view s, std::size_t pos)
{
    auto const b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80)
        return {b0, 1};
    int len = 0;
    int cp = 0;
    if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; }
    else
        return {0xFFFD, 1};
    if (pos + len > s.size())
        return {0xFFFD, 1};
    for (int i = 1; i < len; ++i)
    {
        auto const b = static_cast<unsigned char>(s[pos + i]);
        if ((b & 0xC0) != 0x80)
            return {0xFFFD, 1};
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr int min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return {0xFFFD, 1};
    return {cp, len};
}

void
append_utf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80)
        out += static_cast<char>(cp);
    else if (cp < 0x800)
    {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000)
    {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    else
    {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

void
append_units(std::u16string& units, int cp)
{
    if (cp >= 0x10000)
    {
        cp -= 0x10000;
        units += static_cast<char16_t>(0xD800 + (cp >> 10));
        units += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    }
    else
        units += static_cast<char16_t>(cp);
}

// JavaScript strings are UTF-16; a lone surrogate cannot be UTF-8, so it becomes U+FFFD.
std::string
to_utf8(std::u16string const& units)
{
    std::string out;
    out.reserve(units.size());
    for (std::size_t i = 0; i < units.size(); ++i)
    {
        std::uint32_t u = units[i];
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
            units[i + 1] <= 0xDFFF)
        {
            u = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
            ++i;
        }
        else if (u >= 0xD800 && u <= 0xDFFF)
            u = 0xFFFD;
        append_utf8(out, u);
    }
    return out;
}

bool
is_space_separator(int c)
{
    // Unicode category Zs.
    return c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
        c == 0x205F || c == 0x3000;
}

// Non-ASCII letters are approximated by excluding the blocks that hold no identifier
// characters (punctuation, symbols, private use, emoji); exact ID_Start tables would be a
// large generated file for characters no OpenClaw config key uses.
bool
is_non_ascii_letter(int c)
{
    if (c < 0x80)
        return false;
    if (c <= 0xBF)
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7 || c == 0xFFFD)
        return false;
    if (c >= 0x2000 && c <= 0x206F)
        return false;
    if (c >= 0x2190 && c <= 0x2BFF)
        return false;
    if ((c >= 0x3000 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3020) || c == 0x3030)
        return false;
    if ((c >= 0xD800 && c <= 0xF8FF) || (c >= 0xFE30 && c <= 0xFE4F) || c >= 0xFFF0)
        return false;
    if ((c >= 0xFF00 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20))
        return false;
    if (c >= 0x1F000 && c <= 0x1FAFF)
        return false;
    return !is_space_separator(c);
}

bool
is_id_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$' || c == '_' ||
        (is_non_ascii_letter(c) && !(c >= 0x0300 && c <= 0x036F));
}

bool
is_id_continue(int c)
{
    return is_id_start(c) || (c >= '0' && c <= '9') || c == 0x200C || c == 0x200D ||
        (c >= 0x0300 && c <= 0x036F);
}

bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

bool
is_hex_digit(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The character as json5's formatChar shows it in a message.
std::string
format_char(int c)
{
    switch (c)
    {
    case '\'': return "\\'";
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\v': return "\\v";
    case 0: return "\\0";
    case 0x2028: return "\\u2028";
    case 0x2029: return "\\u2029";
    default: break;
    }
    if (c < 0x20)
    {
        static constexpr char hex[] = "0123456789abcdef";
        return std::string("\\x") + hex[c >> 4] + hex[c & 0xF];
    }
    std::string s;
    append_utf8(s, static_cast<std::uint32_t>(c));
    return s;
}

// JavaScript numbers are doubles; keep exact integers as integers for nlohmann's sake.
nlohmann::json
number_value(double v)
{
    constexpr double max_exact = 9007199254740992.0;  // 2^53
    if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) <= max_exact && !(v == 0 && std::signbit(v)))
        return static_cast<std::int64_t>(v);
    return v;
}

}  // namespace

json5_result
json5_reader::read()
{
    pos_ = 0;
    line_ = 1;
    column_ = 0;
    try
    {
        skip_space_and_comments();
        json5_result result;
        result.value = parse_value(0);
        skip_space_and_comments();
        if (peek() != end_of_input)
            fail_char(next());
        return result;
    }
    catch (failure const& f)
    {
        json5_result result;
        result.error = f.error;
        return result;
    }
}

int
json5_reader::peek() const
{
    if (pos_ >= text_.size())
        return end_of_input;
    return decode_utf8(text_, pos_).code_point;
}

int
json5_reader::next()
{
    if (pos_ >= text_.size())
    {
        ++column_;  // json5 counts the end of input as one more column
        return end_of_input;
    }
    auto const d = decode_utf8(text_, pos_);
    pos_ += d.length;
    if (d.code_point == '\n')
    {
        ++line_;
        column_ = 0;
    }
    else
        column_ += d.code_point >= 0x10000 ? 2 : 1;
    return d.code_point;
}

void
json5_reader::fail_char(int c)
{
    json5_error e;
    e.line = line_;
    e.column = column_;
    if (c == end_of_input)
        e.message = "JSON5: invalid end of input at ";
    else
        e.message = "JSON5: invalid character '" + format_char(c) + "' at ";
    e.message += std::to_string(line_) + ":" + std::to_string(column_);
    throw failure{e};
}

void
json5_reader::fail_identifier()
{
    // json5 points at the backslash of the offending \uXXXX escape.
    column_ -= 5;
    json5_error e;
    e.line = line_;
    e.column = column_;
    e.message = "JSON5: invalid identifier character at " + std::to_string(line_) + ":" +
        std::to_string(column_);
    throw failure{e};
}

void
json5_reader::skip_space_and_comments()
{
    for (;;)
    {
        int const c = peek();
        switch (c)
        {
        case '\t': case '\v': case '\f': case ' ': case 0xA0: case 0xFEFF:
        case '\n': case '\r': case 0x2028: case 0x2029:
            next();
            continue;
        case '/':
            next();
            if (peek() == '*')
            {
                next();
                // Scan to the closing */, a run of asterisks included.
                for (;;)
                {
                    int const d = next();
                    if (d == end_of_input)
                        fail_char(d);
                    if (d != '*')
                        continue;
                    while (peek() == '*')
                        next();
                    if (peek() == end_of_input)
                        fail_char(next());
                    if (next() == '/')
                        break;
                }
            }
            else if (peek() == '/')
            {
                next();
                for (;;)
                {
                    int const d = peek();
                    if (d == end_of_input)
                        break;
                    next();
                    if (d == '\n' || d == '\r' || d == 0x2028 || d == 0x2029)
                        break;
                }
            }
            else
                fail_char(next());
            continue;
        default:
            if (is_space_separator(c))
            {
                next();
                continue;
            }
            return;
        }
    }
}

void
json5_reader::literal(std::string_view rest)
{
    for (char const ch : rest)
    {
        if (peek() != ch)
            fail_char(next());
        next();
    }
}

nlohmann::json
json5_reader::parse_value(int depth)
{
    if (depth > max_depth)
    {
        json5_error e;
        e.line = line_;
        e.column = column_ + 1;
        e.message = "JSON5: nesting deeper than " + std::to_string(max_depth) + " at " +
            std::to_string(e.line) + ":" + std::to_string(e.column);
        throw failure{e};
    }
    int const c = peek();
    switch (c)
    {
    case '{':
        next();
        return parse_object(depth + 1);
    case '[':
        next();
        return parse_array(depth + 1);
    case 'n':
        next();
        literal("ull");
        return nullptr;
    case 't':
        next();
        literal("rue");
        return true;
    case 'f':
        next();
        literal("alse");
        return false;
    case '"':
    case '\'':
        next();
        return parse_string(c);
    case '-': case '+': case '.': case 'I': case 'N':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return parse_number();
    default:
        fail_char(next());
    }
}

nlohmann::json
json5_reader::parse_number()
{
    double sign = 1;
    if (peek() == '-' || peek() == '+')
    {
        if (next() == '-')
            sign = -1;
        int const c = peek();
        if (!(c == '.' || c == 'I' || c == 'N' || is_digit(c)))
            fail_char(next());
    }
    if (peek() == 'I')
    {
        next();
        literal("nfinity");
        return sign * std::numeric_limits<double>::infinity();
    }
    if (peek() == 'N')
    {
        next();
        literal("aN");
        return std::numeric_limits<double>::quiet_NaN();
    }

    std::string digits;
    auto take = [&] { digits += static_cast<char>(next()); };
    auto exponent = [&] {
        take();  // e or E
        if (peek() == '+' || peek() == '-')
            take();
        if (!is_digit(peek()))
            fail_char(next());
        while (is_digit(peek()))
            take();
    };
    auto fraction = [&] {
        while (is_digit(peek()))
            take();
        if (peek() == 'e' || peek() == 'E')
            exponent();
    };

    if (peek() == '.')
    {
        take();
        if (!is_digit(peek()))
            fail_char(next());
        fraction();
    }
    else if (peek() == '0')
    {
        take();
        int const c = peek();
        if (c == 'x' || c == 'X')
        {
            next();
            if (!is_hex_digit(peek()))
                fail_char(next());
            std::string hex;
            while (is_hex_digit(peek()))
                hex += static_cast<char>(next());
            // Beyond 64 bits JavaScript still gives a (rounded) double.
            double v = 0;
            for (char const h : hex)
                v = v * 16 + (is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
            return number_value(sign * v);
        }
        if (c == '.')
        {
            take();
            fraction();
        }
        else if (c == 'e' || c == 'E')
            exponent();
    }
    else
    {
        while (is_digit(peek()))
            take();
        if (peek() == '.')
        {
            take();
            fraction();
        }
        else if (peek() == 'e' || peek() == 'E')
            exponent();
    }
    return number_value(sign * std::strtod(digits.c_str(), nullptr));
}

int
json5_reader::hex_digits(int count)
{
    int v = 0;
    for (int i = 0; i < count; ++i)
    {
        int const c = peek();
        if (!is_hex_digit(c))
            fail_char(next());
        next();
        v = v * 16 + (is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

void
json5_reader::parse_escape(std::u16string& units)
{
    int const c = peek();
    switch (c)
    {
    case 'b': next(); units += u'\b'; return;
    case 'f': next(); units += u'\f'; return;
    case 'n': next(); units += u'\n'; return;
    case 'r': next(); units += u'\r'; return;
    case 't': next(); units += u'\t'; return;
    case 'v': next(); units += u'\v'; return;
    case '0':
        next();
        if (is_digit(peek()))
            fail_char(next());
        units += u'\0';
        return;
    case 'x':
        next();
        units += static_cast<char16_t>(hex_digits(2));
        return;
    case 'u':
        next();
        units += static_cast<char16_t>(hex_digits(4));
        return;
    case '\n': case 0x2028: case 0x2029:
        next();  // line continuation
        return;
    case '\r':
        next();
        if (peek() == '\n')
            next();
        return;
    case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
    case end_of_input:
        fail_char(next());
    default:
        append_units(units, next());
    }
}

std::string
json5_reader::parse_string(int quote)
{
    std::u16string units;
    for (;;)
    {
        int const c = peek();
        if (c == '\\')
        {
            next();
            parse_escape(units);
            continue;
        }
        if (c == quote)
        {
            next();
            return to_utf8(units);
        }
        if (c == '\n' || c == '\r' || c == end_of_input)
            fail_char(next());
        append_units(units, next());
    }
}

std::string
json5_reader::parse_identifier()
{
    std::u16string units;
    bool first = true;
    for (;;)
    {
        int const c = peek();
        if (c == '\\')
        {
            next();
            if (peek() != 'u')
                fail_char(next());
            next();
            int const u = hex_digits(4);
            bool const ok = first ? is_id_start(u) : (is_id_continue(u) || u == 0x200C || u == 0x200D);
            if (!ok)
                fail_identifier();
            units += static_cast<char16_t>(u);
        }
        else if (first ? is_id_start(c) : is_id_continue(c))
            append_units(units, next());
        else
            return to_utf8(units);
        first = false;
    }
}

nlohmann::json
json5_reader::parse_object(int depth)
{
    auto object = nlohmann::json::object();
    for (;;)
    {
        skip_space_and_comments();
        int const c = peek();
        std::string key;
        if (c == '}')
        {
            next();
            return object;
        }
        if (c == '"' || c == '\'')
        {
            next();
            key = parse_string(c);
        }
        else if (c == '\\' || is_id_start(c))
            key = parse_identifier();
        else
            fail_char(next());

        skip_space_and_comments();
        if (peek() != ':')
            fail_char(next());
        next();
        skip_space_and_comments();
        // Like JSON.parse, a repeated key keeps the last value.
        object[key] = parse_value(depth);

        skip_space_and_comments();
        int const after = peek();
        if (after == '}')
        {
            next();
            return object;
        }
        if (after != ',')
            fail_char(next());
        next();
    }
}

nlohmann::json
json5_reader::parse_array(int depth)
{
    auto array = nlohmann::json::array();
    for (;;)
    {
        skip_space_and_comments();
        if (peek() == ']')
        {
            next();
            return array;
        }
        array.push_back(parse_value(depth));
        skip_space_and_comments();
        int const after = peek();
        if (after == ']')
        {
            next();
            return array;
        }
        if (after != ',')
            fail_char(next());
        next();
    }
}

}  // namespace fakes::openclaw
