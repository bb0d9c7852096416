#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace fakes::openclaw {

/// Why and where a JSON5 text was rejected. Line and column are 1-based and counted the way
/// the npm `json5` package (what OpenClaw uses) counts them: only LF starts a new line, and the
/// column counts UTF-16 code units, pointing at the offending character (one past the end for
/// an unexpected end of input).
struct json5_error
{
    int line = 0;
    int column = 0;
    std::string message;  // "JSON5: invalid character 'x' at 3:7", as json5 words it
};

struct json5_result
{
    nlohmann::json value;
    std::optional<json5_error> error;

    explicit operator bool() const { return !error; }
};

/// A JSON5 (https://spec.json5.org) reader written independently of bridge/setup's one, so a
/// JSON5 bug cannot hide on both sides of a test. Numbers follow JavaScript: integers that fit
/// in 2^53 become integers, everything else a double (NaN and Infinity included).
class json5_reader
{
public:
    explicit json5_reader(std::string_view text) : text_(text) {}

    /// Reads the whole text as one JSON5 value.
    json5_result read();

    /// Convenience wrapper.
    static json5_result parse(std::string_view text) { return json5_reader(text).read(); }

private:
    struct failure
    {
        json5_error error;
    };

    static constexpr int end_of_input = -1;
    static constexpr int max_depth = 512;

    int peek() const;
    int peek_length() const;
    int next();  // consumes one code point, updating line and column
    [[noreturn]] void fail_char(int c);
    [[noreturn]] void fail_identifier();

    void skip_space_and_comments();
    nlohmann::json parse_value(int depth);
    nlohmann::json parse_object(int depth);
    nlohmann::json parse_array(int depth);
    nlohmann::json parse_number();
    std::string parse_string(int quote);
    std::string parse_identifier();
    void parse_escape(std::u16string& units);
    int hex_digits(int count);
    void literal(std::string_view rest);

    std::string_view text_;
    std::size_t pos_ = 0;
    int line_ = 1;
    int column_ = 0;
};

}  // namespace fakes::openclaw
