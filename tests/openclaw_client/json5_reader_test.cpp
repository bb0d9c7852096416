// JSON5 reader: the spec's examples, error positions as the npm json5 package reports them, and
// a deterministic generate-print-read round trip.
#include "json5_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace oc = fakes::openclaw;
using nlohmann::json;

namespace {

json
read_ok(std::string_view text)
{
    auto r = oc::json5_reader::parse(text);
    EXPECT_TRUE(r) << text << " -> " << (r.error ? r.error->message : "");
    return r.value;
}

oc::json5_error
read_error(std::string_view text)
{
    auto r = oc::json5_reader::parse(text);
    EXPECT_FALSE(r) << text << " was accepted as " << r.value.dump();
    return r.error.value_or(oc::json5_error{});
}

}  // namespace

// https://spec.json5.org, "Short Example".
TEST(json5_reader, spec_short_example)
{
    auto const v = read_ok(R"(
// comments
{
  unquoted: 'and you can quote me on that',
  singleQuotes: 'I can use "double quotes" here',
  lineBreaks: "Look, Mom! \
No \\n's!",
  hexadecimal: 0xdecaf,
  leadingDecimalPoint: .8675309, andTrailing: 8675309.,
  positiveSign: +1,
  trailingComma: 'in objects', andIn: ['arrays',],
  "backwardsCompatible": "with JSON",
}
)");
    EXPECT_EQ(v["unquoted"], "and you can quote me on that");
    EXPECT_EQ(v["singleQuotes"], "I can use \"double quotes\" here");
    EXPECT_EQ(v["lineBreaks"], "Look, Mom! No \\n's!");
    EXPECT_EQ(v["hexadecimal"], 0xdecaf);
    EXPECT_DOUBLE_EQ(v["leadingDecimalPoint"].get<double>(), 0.8675309);
    EXPECT_EQ(v["andTrailing"], 8675309);
    EXPECT_EQ(v["positiveSign"], 1);
    EXPECT_EQ(v["trailingComma"], "in objects");
    EXPECT_EQ(v["andIn"], json::array({"arrays"}));
    EXPECT_EQ(v["backwardsCompatible"], "with JSON");
    EXPECT_EQ(v.size(), 10u);
}

// Spec section 5 (strings) and 6 (numbers) examples.
TEST(json5_reader, spec_strings_and_numbers)
{
    EXPECT_EQ(read_ok("'Lorem ipsum dolor sit amet, \\\nconsectetur adipiscing elit.'"),
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit.");
    EXPECT_EQ(read_ok(R"('\A\C\/\D\C')"), "AC/DC");
    EXPECT_EQ(read_ok(R"("\x41\u00e9\t\v\0")"), std::string("A\xC3\xA9\t\v\0", 6));
    EXPECT_EQ(read_ok(R"("\uD83D\uDE00")"), "\xF0\x9F\x98\x80");  // surrogate pair
    EXPECT_EQ(read_ok("'line\\\r\nnext'"), "linenext");
    auto const n = read_ok("{integer: 123, withFractionPart: 123.456, onlyFractionPart: .456, "
                           "withExponent: 123e-456, hex: 0xC8, neg: -0x10, big: 1e400, "
                           "Infinity: Infinity, minus: -Infinity, nan: NaN, exp: 1.5E+3}");
    EXPECT_EQ(n["integer"], 123);
    EXPECT_DOUBLE_EQ(n["withFractionPart"].get<double>(), 123.456);
    EXPECT_DOUBLE_EQ(n["onlyFractionPart"].get<double>(), 0.456);
    EXPECT_EQ(n["withExponent"].get<double>(), 0.0);
    EXPECT_EQ(n["hex"], 200);
    EXPECT_EQ(n["neg"], -16);
    EXPECT_TRUE(std::isinf(n["big"].get<double>()));
    EXPECT_TRUE(std::isinf(n["Infinity"].get<double>()) && n["Infinity"].get<double>() > 0);
    EXPECT_TRUE(std::isinf(n["minus"].get<double>()) && n["minus"].get<double>() < 0);
    EXPECT_TRUE(std::isnan(n["nan"].get<double>()));
    EXPECT_EQ(n["exp"], 1500);
    // JavaScript numbers: past 2^53 an integer literal is a double.
    EXPECT_EQ(read_ok("9007199254740993"), 9007199254740992);  // rounded as JavaScript does
    EXPECT_TRUE(read_ok("123456789012345678901").is_number_float());
    EXPECT_TRUE(read_ok("9007199254740992").is_number_integer());
}

// Spec section 3 (objects, identifier keys) and 7 (comments, white space).
TEST(json5_reader, spec_keys_comments_and_white_space)
{
    auto const v = read_ok("/* header */\xEF\xBB\xBF{ $ref: 1, _x9: 2, \\u0061b: 3, 'q-k': 4, caf\xC3\xA9: 5,\n"
                           "  // line comment\r\n  nested: {a: [1, /* in */ 2,], }, \xC2\xA0 dup: 1, dup: 2 }"
                           " // trailing");
    EXPECT_EQ(v["$ref"], 1);
    EXPECT_EQ(v["_x9"], 2);
    EXPECT_EQ(v["ab"], 3);
    EXPECT_EQ(v["q-k"], 4);
    EXPECT_EQ(v["caf\xC3\xA9"], 5);
    EXPECT_EQ(v["nested"], json::parse(R"({"a":[1,2]})"));
    EXPECT_EQ(v["dup"], 2);  // the last one wins, as in JSON.parse
    EXPECT_EQ(read_ok("[]"), json::array());
    EXPECT_EQ(read_ok(" null "), nullptr);
    EXPECT_EQ(read_ok("true"), true);
}

// The OpenClaw config of openclaw-client.md, as a user would write it.
TEST(json5_reader, reads_the_reference_openclaw_config)
{
    auto const v = read_ok(R"cfg({
  gateway: { mode: "local" },
  agents: { defaults: { model: { primary: "docker-model-runner/ai/qwen2.5:7B-Q4_K_M" } } },
  models: { mode: "merge", providers: { "docker-model-runner": {
    baseUrl: "http://127.0.0.1:54321/engines/llama.cpp/v1", apiKey: "not-needed",
    api: "openai-completions",
    models: [{ id: "ai/qwen2.5:7B-Q4_K_M", name: "Qwen 2.5 7B (Docker Model Runner)",
               reasoning: false, input: ["text"],
               cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
               contextWindow: 32768, maxTokens: 8192 }] } } },
})cfg");
    EXPECT_EQ(v["models"]["providers"]["docker-model-runner"]["models"][0]["maxTokens"], 8192);
}

// Positions as json5 2.2.3 reports them (checked against it by the node-labelled test too).
TEST(json5_reader, error_positions)
{
    auto e = read_error("{\n  a: 1,\n  b: @\n}");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.column, 6);
    EXPECT_EQ(e.message, "JSON5: invalid character '@' at 3:6");

    e = read_error("[1, 2");
    EXPECT_EQ(e.message, "JSON5: invalid end of input at 1:6");

    e = read_error("{a:1}}");
    EXPECT_EQ(e.message, "JSON5: invalid character '}' at 1:6");

    e = read_error("");
    EXPECT_EQ(e.message, "JSON5: invalid end of input at 1:1");

    e = read_error("{a: 'x\ny'}");  // raw line break in a string; json5 counts it on line 2
    EXPECT_EQ(e.message, "JSON5: invalid character '\\n' at 2:0");

    e = read_error("{\\u0031a: 1}");  // a digit cannot start an identifier
    EXPECT_EQ(e.message, "JSON5: invalid identifier character at 1:2");

    e = read_error("/* open");
    EXPECT_EQ(e.message, "JSON5: invalid end of input at 1:8");

    e = read_error("{a: tru}");
    EXPECT_EQ(e.message, "JSON5: invalid character '}' at 1:8");

    e = read_error("'\xF0\x9F\x98\x80' x");  // an astral character counts two columns
    EXPECT_EQ(e.message, "JSON5: invalid character 'x' at 1:6");

    e = read_error("01");
    EXPECT_EQ(e.message, "JSON5: invalid character '1' at 1:2");

    e = read_error("\"\\1\"");
    EXPECT_EQ(e.message, "JSON5: invalid character '1' at 1:3");
}

TEST(json5_reader, deep_nesting_is_an_error_not_a_crash)
{
    std::string deep(100000, '[');
    auto const e = read_error(deep);
    EXPECT_NE(e.message.find("nesting"), std::string::npos);
}

namespace {

// Prints `v` as JSON5 with the liberties the format allows, chosen by `rng`.
void
print_json5(json const& v, std::mt19937& rng, std::string& out)
{
    auto coin = [&] { return (rng() & 1u) != 0; };
    auto space = [&] {
        static constexpr char const* pads[] = {"", " ", "\n", "\t", " /* c */ ", "// c\n", "\r\n"};
        out += pads[rng() % 7];
    };
    auto quote = [&](std::string const& s) {
        char const q = coin() ? '\'' : '"';
        out += q;
        for (unsigned char c : s)
        {
            if (c == static_cast<unsigned char>(q) || c == '\\')
            {
                out += '\\';
                out += static_cast<char>(c);
            }
            else if (c == '\n')
                out += coin() ? "\\n" : "\\u000a";
            else if (c < 0x20)
            {
                static constexpr char hex[] = "0123456789abcdef";
                out += "\\x";
                out += hex[c >> 4];
                out += hex[c & 0xF];
            }
            else
                out += static_cast<char>(c);
        }
        out += q;
    };
    space();
    if (v.is_object())
    {
        out += '{';
        for (auto const& [k, child] : v.items())
        {
            space();
            bool const identifier = !k.empty() && !std::isdigit(static_cast<unsigned char>(k[0])) &&
                k.find_first_not_of("abcdefghijklmnopqrstuvwxyz_$0123456789") == std::string::npos;
            if (identifier && coin())
                out += k;
            else
                quote(k);
            space();
            out += ':';
            print_json5(child, rng, out);
            out += ',';
        }
        if (!v.empty() && coin())
            out.pop_back();  // trailing comma or not
        space();
        out += '}';
    }
    else if (v.is_array())
    {
        out += '[';
        for (auto const& child : v)
        {
            print_json5(child, rng, out);
            out += ',';
        }
        if (!v.empty() && coin())
            out.pop_back();
        space();
        out += ']';
    }
    else if (v.is_string())
        quote(v.get<std::string>());
    else if (v.is_number_integer() && v.get<std::int64_t>() >= 0 && coin())
    {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s0x%llX", coin() ? "+" : "",
            static_cast<unsigned long long>(v.get<std::int64_t>()));
        out += buf;
    }
    else
        out += v.dump();
    space();
}

json
random_value(std::mt19937& rng, int depth)
{
    switch (rng() % (depth > 3 ? 5 : 7))
    {
    case 0: return nullptr;
    case 1: return (rng() & 1u) != 0;
    case 2: return static_cast<std::int64_t>(rng() % 100000) - 50000;
    case 3: return static_cast<double>(rng() % 100000) / 64.0 + 0.5;
    case 4:
    {
        static constexpr char const* words[] = {"", "a", "it's", "say \"hi\"", "back\\slash",
            "new\nline", "caf\xC3\xA9", "\xE4\xB8\xAD", "tab\t", "\xF0\x9F\x98\x80"};
        return words[rng() % 10];
    }
    case 5:
    {
        json a = json::array();
        for (unsigned n = rng() % 4; n > 0; --n)
            a.push_back(random_value(rng, depth + 1));
        return a;
    }
    default:
    {
        static constexpr char const* keys[] = {"id", "baseUrl", "max_tokens", "$x", "9lives",
            "with space", "k", "_"};
        json o = json::object();
        for (unsigned n = rng() % 4; n > 0; --n)
            o[keys[rng() % 8]] = random_value(rng, depth + 1);
        return o;
    }
    }
}

}  // namespace

TEST(json5_reader, random_documents_round_trip)
{
    std::mt19937 rng(20261127);
    for (int i = 0; i < 2000; ++i)
    {
        json const v = random_value(rng, 0);
        std::string text;
        print_json5(v, rng, text);
        auto const r = oc::json5_reader::parse(text);
        ASSERT_TRUE(r) << "case " << i << ": " << text << "\n" << r.error->message;
        ASSERT_EQ(r.value, v) << "case " << i << ": " << text;
    }
}

TEST(json5_reader, random_bytes_never_crash_and_errors_stay_in_range)
{
    std::mt19937 rng(7);
    static constexpr char alphabet[] = "{}[]:,'\"\\/*\n\r 0123456789xXeE.+-abnrtuINfl$_\xC3\xA9";
    for (int i = 0; i < 20000; ++i)
    {
        std::string text(rng() % 24, ' ');
        for (char& c : text)
            c = alphabet[rng() % (sizeof(alphabet) - 1)];
        auto const r = oc::json5_reader::parse(text);
        if (!r)
        {
            ASSERT_GE(r.error->line, 1) << text;
            ASSERT_GE(r.error->column, 0) << text;
            ASSERT_LE(r.error->column, static_cast<int>(text.size()) + 1) << text;
        }
    }
}
