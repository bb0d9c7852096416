#include "bridge/setup/json5_document.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace mrb::setup {
namespace {

constexpr std::size_t max_depth = 256;
constexpr std::uint32_t invalid_code_point = 0xFFFFFFFF;

// Decodes one UTF-8 code point at `pos`; `length` is 0 at the end and the code point is
// invalid_code_point on a malformed sequence.
std::uint32_t decode_utf8(const std::string& s, std::size_t pos, std::size_t& length) {
  if (pos >= s.size()) {
    length = 0;
    return invalid_code_point;
  }
  const auto b0 = static_cast<unsigned char>(s[pos]);
  length = 1;
  if (b0 < 0x80) return b0;
  std::size_t extra = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    extra = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    return invalid_code_point;
  }
  if (pos + extra >= s.size()) return invalid_code_point;
  for (std::size_t i = 1; i <= extra; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) return invalid_code_point;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid_code_point;
  length = extra + 1;
  return cp;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  // Lone surrogates (legal in a JSON5 \u escape) are written as WTF-8 bytes; callers that dump
  // JSON use error_handler_t::replace.
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_line_terminator(std::uint32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029;
}

bool is_space_separator(std::uint32_t cp) {
  return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_whitespace(std::uint32_t cp) {
  return cp == '\t' || cp == '\v' || cp == '\f' || cp == 0xFEFF || is_space_separator(cp) ||
         is_line_terminator(cp);
}

// Non-ASCII code points that are certainly neither letters nor marks: controls, Latin-1
// punctuation, general punctuation, currency, arrows and math, box drawing and dingbats, CJK
// punctuation, private use, specials, emoji. An approximation of Unicode's ID_Continue (the
// real tables are large); what is left is accepted.
bool is_non_identifier(std::uint32_t cp) {
  if (cp <= 0x9F) return true;
  if (cp >= 0xA1 && cp <= 0xBF) return cp != 0xAA && cp != 0xB5 && cp != 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return true;
  const std::uint32_t ranges[][2] = {{0x2000, 0x200B}, {0x200E, 0x206F}, {0x20A0, 0x20CF}, {0x2190, 0x23FF},
                                     {0x2500, 0x27BF}, {0x2E00, 0x2E7F}, {0x3000, 0x3004}, {0xD800, 0xF8FF},
                                     {0xFE10, 0xFE1F}, {0xFE30, 0xFE4F}, {0xFF01, 0xFF0F}, {0xFFF0, 0xFFFF},
                                     {0x1F000, 0x1FAFF}};
  for (const auto& r : ranges) {
    if (cp >= r[0] && cp <= r[1]) return true;
  }
  return false;
}

bool is_id_start(std::uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '$' || cp == '_';
  // Combining marks (U+0300..U+036F) may continue a name but not start one.
  return cp != invalid_code_point && !is_whitespace(cp) && !is_non_identifier(cp) && cp != 0x200C && cp != 0x200D &&
         !(cp >= 0x300 && cp <= 0x36F);
}

bool is_id_continue(std::uint32_t cp) {
  if (cp < 0x80) return is_id_start(cp) || (cp >= '0' && cp <= '9');
  if (cp == 0x200C || cp == 0x200D) return true;  // ZWNJ, ZWJ
  return cp != invalid_code_point && !is_whitespace(cp) && !is_non_identifier(cp);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

class parser {
public:
  explicit parser(const std::string& text) : s_(text) {}

  bool parse(json5_node& root, json5_error& error) {
    if (!skip_space()) return fail(error);
    if (pos_ >= s_.size()) {
      set_error(pos_, "empty document");
      return fail(error);
    }
    if (!parse_value(root, 0)) return fail(error);
    if (!skip_space()) return fail(error);
    if (pos_ < s_.size()) {
      set_error(pos_, describe_unexpected(pos_) + " after the end of the value");
      return fail(error);
    }
    return true;
  }

private:
  bool fail(json5_error& error) {
    error = error_;
    return false;
  }

  void set_error(std::size_t at, std::string message) {
    error_.offset = at;
    error_.message = std::move(message);
  }

  std::string describe_unexpected(std::size_t at) const {
    if (at >= s_.size()) return "unexpected end of input";
    std::size_t len = 0;
    const auto cp = decode_utf8(s_, at, len);
    if (cp == invalid_code_point) return "invalid UTF-8";
    if (cp < 0x20 || cp == 0x7F) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
      return std::string("invalid character ") + buf;
    }
    return "invalid character '" + s_.substr(at, len) + "'";
  }

  // Skips whitespace and comments; false on an unterminated block comment or bad UTF-8.
  bool skip_space() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/') {
        pos_ += 2;
        while (pos_ < s_.size()) {
          std::size_t len = 0;
          const auto cp = decode_utf8(s_, pos_, len);
          if (cp == invalid_code_point) {
            set_error(pos_, "invalid UTF-8");
            return false;
          }
          if (is_line_terminator(cp)) break;
          pos_ += len;
        }
        continue;
      }
      if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '*') {
        const auto end = s_.find("*/", pos_ + 2);
        if (end == std::string::npos) {
          set_error(s_.size(), "unterminated block comment");
          return false;
        }
        pos_ = end + 2;
        continue;
      }
      std::size_t len = 0;
      const auto cp = decode_utf8(s_, pos_, len);
      if (cp == invalid_code_point) {
        set_error(pos_, "invalid UTF-8");
        return false;
      }
      if (!is_whitespace(cp)) break;
      pos_ += len;
    }
    return true;
  }

  bool parse_value(json5_node& node, std::size_t depth) {
    if (depth >= max_depth) {
      set_error(pos_, "nesting deeper than 256 levels");
      return false;
    }
    node.span.begin = pos_;
    if (pos_ >= s_.size()) {
      set_error(pos_, "unexpected end of input, expected a value");
      return false;
    }
    const char c = s_[pos_];
    bool ok = false;
    if (c == '{') {
      ok = parse_object(node, depth);
    } else if (c == '[') {
      ok = parse_array(node, depth);
    } else if (c == '"' || c == '\'') {
      node.type = json5_node::kind::string;
      std::string value;
      ok = parse_string(value);
      node.scalar = std::move(value);
    } else if (c == '-' || c == '+' || c == '.' || is_digit(c) || c == 'I' || c == 'N') {
      ok = parse_number(node);
    } else if (literal("true")) {
      node.type = json5_node::kind::boolean, node.scalar = true, ok = true;
    } else if (literal("false")) {
      node.type = json5_node::kind::boolean, node.scalar = false, ok = true;
    } else if (literal("null")) {
      node.type = json5_node::kind::null, node.scalar = nullptr, ok = true;
    } else if (c == 't' || c == 'f' || c == 'n') {
      // Point at the first character that breaks the literal ("tru" + 'x'), as json5 does.
      const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      std::size_t k = 0;
      while (k < word.size() && pos_ + k < s_.size() && s_[pos_ + k] == word[k]) ++k;
      set_error(pos_ + k, describe_unexpected(pos_ + k) + (k < word.size() ? " in '" + std::string(word) + "'" : ""));
    } else {
      set_error(pos_, describe_unexpected(pos_) + ", expected a value");
    }
    node.span.end = pos_;
    return ok;
  }

  // Consumes `word` if it is next and not followed by an identifier character.
  bool literal(std::string_view word) {
    if (s_.compare(pos_, word.size(), word) != 0) return false;
    std::size_t len = 0;
    const auto next = decode_utf8(s_, pos_ + word.size(), len);
    if (len != 0 && is_id_continue(next)) return false;
    pos_ += word.size();
    return true;
  }

  bool parse_object(json5_node& node, std::size_t depth) {
    node.type = json5_node::kind::object;
    ++pos_;  // '{'
    for (;;) {
      if (!skip_space()) return false;
      if (pos_ >= s_.size()) {
        set_error(pos_, "unexpected end of input, expected '}'");
        return false;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      json5_member member;
      member.key_span.begin = pos_;
      if (s_[pos_] == '"' || s_[pos_] == '\'') {
        member.quoted_key = true;
        if (!parse_string(member.key)) return false;
      } else if (!parse_identifier(member.key)) {
        return false;
      }
      member.key_span.end = pos_;
      if (!skip_space()) return false;
      if (pos_ >= s_.size() || s_[pos_] != ':') {
        set_error(pos_, describe_unexpected(pos_) + ", expected ':'");
        return false;
      }
      ++pos_;
      if (!skip_space()) return false;
      if (!parse_value(member.value, depth + 1)) return false;
      if (!skip_space()) return false;
      if (pos_ < s_.size() && s_[pos_] == ',') {
        member.comma = pos_;
        ++pos_;
        node.members.push_back(std::move(member));
        continue;
      }
      node.members.push_back(std::move(member));
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      set_error(pos_, describe_unexpected(pos_) + ", expected ',' or '}'");
      return false;
    }
  }

  bool parse_array(json5_node& node, std::size_t depth) {
    node.type = json5_node::kind::array;
    ++pos_;  // '['
    for (;;) {
      if (!skip_space()) return false;
      if (pos_ >= s_.size()) {
        set_error(pos_, "unexpected end of input, expected ']'");
        return false;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      json5_node element;
      if (!parse_value(element, depth + 1)) return false;
      node.elements.push_back(std::move(element));
      if (!skip_space()) return false;
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      set_error(pos_, describe_unexpected(pos_) + ", expected ',' or ']'");
      return false;
    }
  }

  // Four hex digits after "\u"; pos_ points at the first digit.
  bool parse_hex4(std::uint32_t& cp) {
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int v = pos_ < s_.size() ? hex_value(s_[pos_]) : -1;
      if (v < 0) {
        set_error(pos_, describe_unexpected(pos_) + " in a \\u escape");
        return false;
      }
      cp = cp * 16 + static_cast<std::uint32_t>(v);
      ++pos_;
    }
    return true;
  }

  // A \u escape (pos_ at 'u'), joining a surrogate pair when the low half follows.
  bool parse_unicode_escape(std::uint32_t& cp) {
    ++pos_;  // 'u'
    if (!parse_hex4(cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF && s_.compare(pos_, 2, "\\u") == 0) {
      const auto save = pos_;
      pos_ += 2;
      std::uint32_t low = 0;
      if (parse_hex4(low) && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        return true;
      }
      pos_ = save;
    }
    return true;
  }

  bool parse_string(std::string& out) {
    const char quote = s_[pos_];
    ++pos_;
    for (;;) {
      if (pos_ >= s_.size()) {
        set_error(pos_, "unterminated string");
        return false;
      }
      const char c = s_[pos_];
      if (c == quote) {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!parse_escape(out)) return false;
        continue;
      }
      std::size_t len = 0;
      const auto cp = decode_utf8(s_, pos_, len);
      if (cp == invalid_code_point) {
        set_error(pos_, "invalid UTF-8");
        return false;
      }
      if (cp == '\n' || cp == '\r') {
        set_error(pos_, "line break inside a string (escape it with a backslash)");
        return false;
      }
      out.append(s_, pos_, len);
      pos_ += len;
    }
  }

  bool parse_escape(std::string& out) {
    ++pos_;  // '\'
    if (pos_ >= s_.size()) {
      set_error(pos_, "unterminated string");
      return false;
    }
    const char c = s_[pos_];
    switch (c) {
      case 'b': out += '\b'; ++pos_; return true;
      case 'f': out += '\f'; ++pos_; return true;
      case 'n': out += '\n'; ++pos_; return true;
      case 'r':
        out += '\r';
        ++pos_;
        return true;
      case 't': out += '\t'; ++pos_; return true;
      case 'v': out += '\v'; ++pos_; return true;
      case '\n': ++pos_; return true;  // line continuation
      case '\r':
        ++pos_;
        if (pos_ < s_.size() && s_[pos_] == '\n') ++pos_;
        return true;
      case '0':
        if (pos_ + 1 < s_.size() && is_digit(s_[pos_ + 1])) {
          set_error(pos_ + 1, "invalid character '" + s_.substr(pos_ + 1, 1) + "' after \\0");
          return false;
        }
        out += '\0';
        ++pos_;
        return true;
      case 'x': {
        ++pos_;
        const int hi = pos_ < s_.size() ? hex_value(s_[pos_]) : -1;
        const int lo = pos_ + 1 < s_.size() ? hex_value(s_[pos_ + 1]) : -1;
        if (hi < 0 || lo < 0) {
          set_error(hi < 0 ? pos_ : pos_ + 1, describe_unexpected(hi < 0 ? pos_ : pos_ + 1) + " in a \\x escape");
          return false;
        }
        append_utf8(out, static_cast<std::uint32_t>(hi * 16 + lo));
        pos_ += 2;
        return true;
      }
      case 'u': {
        std::uint32_t cp = 0;
        if (!parse_unicode_escape(cp)) return false;
        append_utf8(out, cp);
        return true;
      }
      default:
        break;
    }
    if (c >= '1' && c <= '9') {
      set_error(pos_, "invalid escape '\\" + std::string(1, c) + "'");
      return false;
    }
    std::size_t len = 0;
    const auto cp = decode_utf8(s_, pos_, len);
    if (cp == invalid_code_point) {
      set_error(pos_, "invalid UTF-8");
      return false;
    }
    if (cp != 0x2028 && cp != 0x2029) out.append(s_, pos_, len);  // U+2028/9: continuation
    pos_ += len;
    return true;
  }

  bool parse_identifier(std::string& out) {
    bool first = true;
    for (;;) {
      std::uint32_t cp = 0;
      std::size_t len = 0;
      const auto at = pos_;
      if (pos_ < s_.size() && s_[pos_] == '\\') {
        if (pos_ + 1 >= s_.size() || s_[pos_ + 1] != 'u') {
          set_error(pos_, "invalid escape in a key (only \\u is allowed)");
          return false;
        }
        ++pos_;
        if (!parse_hex4_after_u(cp)) return false;
      } else {
        cp = decode_utf8(s_, pos_, len);
        if (len == 0) {
          if (first) {
            set_error(pos_, "unexpected end of input, expected a key");
            return false;
          }
          return true;
        }
        if (cp == invalid_code_point) {
          set_error(pos_, "invalid UTF-8");
          return false;
        }
      }
      const bool ok = first ? is_id_start(cp) : is_id_continue(cp);
      if (!ok) {
        if (first || len == 0) {
          // An escape that decodes to a character not allowed in a name is an error.
          set_error(at, first ? describe_unexpected(at) + ", expected a key" : "invalid character in a key");
          return false;
        }
        pos_ = at;
        return true;
      }
      if (len != 0) pos_ += len;
      append_utf8(out, cp);
      first = false;
    }
  }

  bool parse_hex4_after_u(std::uint32_t& cp) {
    ++pos_;  // 'u'
    return parse_hex4(cp);
  }

  bool parse_number(json5_node& node) {
    node.type = json5_node::kind::number;
    const auto start = pos_;
    bool negative = false;
    if (s_[pos_] == '+' || s_[pos_] == '-') {
      negative = s_[pos_] == '-';
      ++pos_;
    }
    if (literal("Infinity")) {
      node.scalar = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      return true;
    }
    if (literal("NaN")) {
      node.scalar = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (pos_ + 1 < s_.size() && s_[pos_] == '0' && (s_[pos_ + 1] == 'x' || s_[pos_ + 1] == 'X')) {
      pos_ += 2;
      const auto digits = pos_;
      std::uint64_t value = 0;
      double big = 0;
      bool overflow = false;
      while (pos_ < s_.size() && hex_value(s_[pos_]) >= 0) {
        const auto v = static_cast<std::uint64_t>(hex_value(s_[pos_]));
        big = big * 16 + static_cast<double>(v);
        if (value > (std::numeric_limits<std::uint64_t>::max() >> 4)) overflow = true;
        value = value * 16 + v;
        ++pos_;
      }
      if (pos_ == digits) {
        set_error(pos_, describe_unexpected(pos_) + " in a hexadecimal number");
        return false;
      }
      if (!overflow && value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        const auto v = static_cast<std::int64_t>(value);
        node.scalar = negative ? -v : v;
      } else {
        node.scalar = negative ? -big : big;
      }
      return end_of_number();
    }
    bool integer = true;
    const auto int_start = pos_;
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
    const auto int_digits = pos_ - int_start;
    if (int_digits > 1 && s_[int_start] == '0') {
      set_error(int_start + 1, "leading zeros are not allowed");
      return false;
    }
    std::size_t frac_digits = 0;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integer = false;
      ++pos_;
      const auto frac_start = pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
      frac_digits = pos_ - frac_start;
    }
    if (int_digits == 0 && frac_digits == 0) {
      set_error(pos_, describe_unexpected(pos_) + " in a number");
      return false;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integer = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      const auto exp_start = pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
      if (pos_ == exp_start) {
        set_error(pos_, describe_unexpected(pos_) + " in an exponent");
        return false;
      }
    }
    const std::string digits = s_.substr(start, pos_ - start);
    if (integer) {
      std::int64_t v = 0;
      const char* first = digits.data() + (digits[0] == '+' ? 1 : 0);
      const auto [ptr, ec] = std::from_chars(first, digits.data() + digits.size(), v);
      if (ec == std::errc() && ptr == digits.data() + digits.size()) {
        node.scalar = v;
        return end_of_number();
      }
    }
    node.scalar = std::strtod(digits.c_str(), nullptr);
    return end_of_number();
  }

  // A number must not run into an identifier character ("1x", "0xFFg").
  bool end_of_number() {
    std::size_t len = 0;
    const auto cp = decode_utf8(s_, pos_, len);
    if (len != 0 && cp != invalid_code_point && is_id_continue(cp)) {
      set_error(pos_, describe_unexpected(pos_) + " in a number");
      return false;
    }
    return true;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
  json5_error error_;
};

}  // namespace

std::string json5_error::to_string() const {
  return std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::optional<json5_document> json5_document::parse(std::string text, json5_error& error) {
  json5_node root;
  parser p{text};
  if (!p.parse(root, error)) {
    json5_document located{std::move(text), {}};
    std::tie(error.line, error.column) = located.line_column(error.offset);
    return std::nullopt;
  }
  return json5_document{std::move(text), std::move(root)};
}

std::pair<std::size_t, std::size_t> json5_document::line_column(std::size_t offset) const {
  std::size_t line = 1;
  std::size_t column = 1;
  const auto end = std::min(offset, text_.size());
  for (std::size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text_[i]);
    if (c == '\n' || (c == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'))) {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80 && c != '\r') {
      ++column;  // count code points, not continuation bytes
    }
  }
  return {line, column};
}

nlohmann::json json5_document::to_json(const json5_node& node) {
  switch (node.type) {
    case json5_node::kind::object: {
      auto out = nlohmann::json::object();
      for (const auto& m : node.members) out[m.key] = to_json(m.value);
      return out;
    }
    case json5_node::kind::array: {
      auto out = nlohmann::json::array();
      for (const auto& e : node.elements) out.push_back(to_json(e));
      return out;
    }
    default:
      return node.scalar;
  }
}

const json5_member* json5_document::find_member(const json5_node& object, const std::string& key) {
  if (object.type != json5_node::kind::object) return nullptr;
  for (auto it = object.members.rbegin(); it != object.members.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

const json5_member* json5_document::find(const std::vector<std::string>& path) const {
  const json5_node* node = &root_;
  const json5_member* member = nullptr;
  for (const auto& key : path) {
    member = find_member(*node, key);
    if (member == nullptr) return nullptr;
    node = &member->value;
  }
  return member;
}

}  // namespace mrb::setup
