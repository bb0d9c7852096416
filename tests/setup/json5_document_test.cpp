// json5_document: the JSON5 specification's own examples, numbers, strings, errors with
// positions, spans; and a deterministic mutation fuzz loop.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "bridge/setup/json5_document.hpp"

namespace mrb::setup {
namespace {

using nlohmann::json;

json parse_ok(const std::string& text) {
  json5_error error;
  auto doc = json5_document::parse(text, error);
  EXPECT_TRUE(doc.has_value()) << "input: " << text << "\nerror: " << error.to_string();
  return doc ? doc->to_json() : json();
}

json5_error parse_fail(const std::string& text) {
  json5_error error;
  auto doc = json5_document::parse(text, error);
  EXPECT_FALSE(doc.has_value()) << "input unexpectedly parsed: " << text;
  return error;
}

// The example from https://json5.org/ (the "short example" on the spec's front page).
TEST(json5_document, spec_front_page_example) {
  const std::string text = R"({
  // comments
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
)";
  const json expected = {
      {"unquoted", "and you can quote me on that"},
      {"singleQuotes", "I can use \"double quotes\" here"},
      {"lineBreaks", "Look, Mom! No \\n's!"},
      {"hexadecimal", 0xdecaf},
      {"leadingDecimalPoint", 0.8675309},
      {"andTrailing", 8675309.0},
      {"positiveSign", 1},
      {"trailingComma", "in objects"},
      {"andIn", {"arrays"}},
      {"backwardsCompatible", "with JSON"},
  };
  EXPECT_EQ(parse_ok(text), expected);
}

// Examples from the sections of https://spec.json5.org/.
TEST(json5_document, spec_section_examples) {
  EXPECT_EQ(parse_ok("// This is a single line comment.\n\n/* This is a multi-\n   line comment. */\n null"), json());
  EXPECT_EQ(parse_ok("[1, true, 'three',]"), json::parse(R"([1,true,"three"])"));
  EXPECT_EQ(parse_ok("[[1, true, 'three'], [4, \"five\", 0x6],]"),
            json::parse(R"([[1,true,"three"],[4,"five",6]])"));
  EXPECT_EQ(parse_ok("{ image: { width: 800, height: 600, 'aspect-ratio': '16:9', }, }"),
            json::parse(R"({"image":{"width":800,"height":600,"aspect-ratio":"16:9"}})"));
  EXPECT_EQ(parse_ok("{ $_: 1, _$: 2, a\\u200C: 3 }"),
            json::parse("{\"$_\":1,\"_$\":2,\"a\xE2\x80\x8C\":3}"));
  EXPECT_EQ(parse_ok("{ \xC5\xAB\xC5\x84\xC3\xAE\xC4\x8B\xC3\xB5\xC4\x8F\xC3\xAB: 9 }").begin().value(), 9);
  EXPECT_EQ(parse_ok("{ \\u0041\\u0062\\u0063: 'ABC' }"), json::parse(R"({"Abc":"ABC"})"));
  EXPECT_EQ(parse_ok("'Lorem ipsum dolor sit amet, \\\nconsectetur adipiscing elit.'"),
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit.");
  EXPECT_EQ(parse_ok(R"('\A\C\/\D\C')"), "AC/DC");
  EXPECT_EQ(parse_ok(R"("\u00C5")"), "\xC3\x85");
  EXPECT_EQ(parse_ok(R"('\uD83C\uDFBC')"), "\xF0\x9F\x8E\xBC");
}

TEST(json5_document, numbers) {
  EXPECT_EQ(parse_ok("123.456"), 123.456);
  EXPECT_EQ(parse_ok(".456"), 0.456);
  EXPECT_EQ(parse_ok("123."), 123.0);
  EXPECT_EQ(parse_ok("123e-2"), 1.23);
  EXPECT_EQ(parse_ok("0xC8"), 200);
  EXPECT_EQ(parse_ok("-0xC8"), -200);
  EXPECT_EQ(parse_ok("+1"), 1);
  EXPECT_EQ(parse_ok("-Infinity").get<double>(), -INFINITY);
  EXPECT_EQ(parse_ok("Infinity").get<double>(), INFINITY);
  EXPECT_TRUE(std::isnan(parse_ok("NaN").get<double>()));
  EXPECT_TRUE(std::isnan(parse_ok("-NaN").get<double>()));
  EXPECT_EQ(parse_ok("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_ok("18446744073709551616").get<double>(), 18446744073709551616.0);
  EXPECT_EQ(parse_ok("0xFFFFFFFFFFFFFFFFFF").get<double>(), 4722366482869645213696.0);
  parse_fail("01");
  parse_fail("0x");
  parse_fail("1e");
  parse_fail(".");
  parse_fail("+");
  parse_fail("1x");
  parse_fail("Infinit");
  parse_fail("- 1");
}

TEST(json5_document, strings_and_escapes) {
  EXPECT_EQ(parse_ok(R"("\b\f\n\r\t\v\0\x41\'\"\\")"), std::string("\b\f\n\r\t\v") + '\0' + "A'\"\\");
  EXPECT_EQ(parse_ok("'line\\\r\ncontinued'"), "linecontinued");
  EXPECT_EQ(parse_ok("'a\xE2\x80\xA8" "b'"), "a\xE2\x80\xA8" "b");  // U+2028 allowed unescaped
  parse_fail("'\\1'");
  parse_fail("'\\01'");
  parse_fail("'\\x4'");
  parse_fail("'\\u12G4'");
  parse_fail("'unterminated");
  parse_fail("'raw\nnewline'");
}

TEST(json5_document, whitespace_and_literals) {
  EXPECT_EQ(parse_ok("\xEF\xBB\xBF{\xC2\xA0" "a\t:\vtrue\f,\xE2\x80\xA9" "b: false, c: null}"),
            json::parse(R"({"a":true,"b":false,"c":null})"));
  parse_fail("truex");
  parse_fail("nul");
  parse_fail("");
  parse_fail("  // only a comment\n");
  parse_fail("{} {}");
  parse_fail("/* unterminated");
}

TEST(json5_document, errors_report_line_and_column) {
  auto e = parse_fail("{\n  a: 1,\n  b: }\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 6u);
  EXPECT_EQ(e.to_string().substr(0, 4), "3:6:");
  e = parse_fail("{\n  \"x\": 1\n  \"y\": 2\n}");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 3u);
  EXPECT_NE(e.message.find("expected ',' or '}'"), std::string::npos) << e.message;
  // Columns count code points, not bytes.
  e = parse_fail("{ \xC3\xA9t\xC3\xA9: @ }");
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.column, 8u);
  e = parse_fail("{\r\n a: [1,\r\n 2");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 3u);
}

TEST(json5_document, spans_and_lookup) {
  const std::string text = "{ // c\n  models: { mode: 'merge', mode: \"replace\" },\n  n: 0x10 }";
  json5_error error;
  auto doc = json5_document::parse(text, error);
  ASSERT_TRUE(doc);
  const auto* mode = doc->find({"models", "mode"});
  ASSERT_NE(mode, nullptr);
  // Duplicate keys: the last one wins, as in the reference parser.
  EXPECT_EQ(text.substr(mode->value.span.begin, mode->value.span.end - mode->value.span.begin), "\"replace\"");
  EXPECT_EQ(text.substr(mode->key_span.begin, mode->key_span.end - mode->key_span.begin), "mode");
  EXPECT_EQ(doc->to_json()["models"]["mode"], "replace");
  const auto* n = doc->find({"n"});
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(text.substr(n->value.span.begin, n->value.span.end - n->value.span.begin), "0x10");
  EXPECT_FALSE(n->comma.has_value());
  EXPECT_EQ(doc->find({"models", "nope"}), nullptr);
  EXPECT_EQ(doc->find({"n", "deeper"}), nullptr);
}

TEST(json5_document, nesting_depth_is_bounded) {
  parse_fail(std::string(100000, '['));
  EXPECT_EQ(parse_ok(std::string(200, '[') + std::string(200, ']')).size(), 1u);
}

// Deterministic mutation fuzzing: whatever the bytes, the parser either succeeds (and its
// spans lie inside the text) or reports a position inside the text. Seeds cover every rule.
TEST(json5_document, fuzz_never_crashes_and_always_locates_errors) {
  const std::vector<std::string> seeds = {
      "{a:1,'b':\"c\",d:[1,2,{e:null}],f:true,}",
      "// c\n/* d */{x: +0x1F, y: -.5e+3, z: Infinity, w: NaN}",
      "['\\u0041\\x42\\n\\\n', \"\xC3\xA9\", 1.]",
      "{\xC5\xAB: [[[]]], $_: {}}",
  };
  const std::string alphabet = "{}[]:,'\"\\/*\n\r\t 0123456789.+-eExXabcdfuINnlty\xC3\xA9\xE2\x80\xA8";
  std::mt19937 rng(20260127);
  std::size_t parsed = 0;
  std::size_t failed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seeds[rng() % seeds.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      const std::size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
      switch (rng() % 4) {
        case 0: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 1: if (at < text.size()) text.erase(at, 1 + rng() % 3); break;
        case 2: if (at < text.size()) text[at] = static_cast<char>(rng() % 256); break;
        default: text.insert(at, text.substr(rng() % (text.size() + 1), rng() % 6)); break;
      }
    }
    json5_error error;
    auto doc = json5_document::parse(text, error);
    if (doc) {
      ++parsed;
      EXPECT_LE(doc->root().span.end, text.size());
      (void)doc->to_json().dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      ++failed;
      ASSERT_LE(error.offset, text.size()) << text;
      ASSERT_GE(error.line, 1u);
      ASSERT_GE(error.column, 1u);
      ASSERT_FALSE(error.message.empty());
    }
  }
  // Both outcomes must actually be exercised for the loop to mean anything.
  EXPECT_GT(parsed, 500u);
  EXPECT_GT(failed, 500u);
}

}  // namespace
}  // namespace mrb::setup
