// Cross-checks json5_document against the reference implementation, the npm `json5` package
// (run by node): the same inputs must parse to the same values, and fail on the same inputs on
// the same line. Inputs: the spec's examples, edge cases, and deterministic mutations of them.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "bridge/setup/json5_document.hpp"

namespace mrb::setup {
namespace {

using nlohmann::json;

std::vector<std::string> base_inputs() {
  return {
      "{\n  // comments\n  unquoted: 'and you can quote me on that',\n  singleQuotes: 'I can use \"double quotes\" here',\n"
      "  lineBreaks: \"Look, Mom! \\\nNo \\\\n's!\",\n  hexadecimal: 0xdecaf,\n"
      "  leadingDecimalPoint: .8675309, andTrailing: 8675309.,\n  positiveSign: +1,\n"
      "  trailingComma: 'in objects', andIn: ['arrays',],\n  \"backwardsCompatible\": \"with JSON\",\n}\n",
      "[1, true, 'three',]",
      "[[1, true, 'three'], [4, \"five\", 0x6]]",
      "{ image: { width: 800, height: 600, 'aspect-ratio': '16:9', }, }",
      "{ $_: 1, _$: 2, a\\u200C: 3 }",
      "{ \\u0041\\u0062\\u0063: 'ABC' }",
      "'\\A\\C\\/\\D\\C'",
      "'\\u00C5 \\uD83C\\uDFBC \\x41 \\0 \\v'",
      "[123.456, .456, 123., 123e-2, 0xC8, -0xC8, +1, -Infinity, Infinity, NaN, -0, 1e400, 9007199254740993]",
      "/* c */ null // d",
      "{a: 1, a: 2}",
      "{ \"models\": { mode: 'merge', providers: { 'docker-model-runner': { models: [ { id: 'x' }, ], }, }, }, }",
      "\xEF\xBB\xBF{ \xC2\xA0" "a: \xE2\x80\xA8 1 }",
      "{ \xC3\xA9t\xC3\xA9: '\xE2\x82\xAC' }",
      // Errors.
      "{a: 1,,}", "[1 2]", "{'a' 1}", "01", "0x", "'\\1'", "{a: 1", "/* open", "'a\nb'", "{1: 2}", "tru", "",
      "{\n  a: 1,\n  b: }\n", "[\n\n  @\n]", "{ a: 'x' }  extra", "+-1", "{ a-b: 1 }", "'\\u12'",
  };
}

// Mutations built from whole code points, so every input is valid UTF-8 (a JS string).
std::vector<std::string> mutated_inputs(std::size_t count) {
  const auto seeds = base_inputs();
  const std::vector<std::string> units = {"{", "}", "[", "]", ":", ",", "'", "\"", "\\", "/", "*", "\n", " ",
                                          "0", "1", "9", ".", "+", "-", "e", "x", "a", "_", "$", "n",
                                          "\xC3\xA9", "//", "/*", "*/", "Infinity", "NaN", "true", "null"};
  std::mt19937 rng(42);
  std::vector<std::string> out;
  while (out.size() < count) {
    std::string text = seeds[rng() % 14];  // mutate the valid seeds
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) {
      // Only cut at ASCII boundaries so multi-byte characters stay whole.
      std::size_t at = text.empty() ? 0 : rng() % text.size();
      while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
      if (rng() % 2 == 0) {
        text.insert(at, units[rng() % units.size()]);
      } else if (at < text.size() && static_cast<unsigned char>(text[at]) < 0x80) {
        text.erase(at, 1);
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

// JSON5 numbers are JavaScript doubles; we keep integers exact as int64. Compare as doubles.
json as_doubles(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : v.items()) out[k] = as_doubles(x);
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& x : v) out.push_back(as_doubles(x));
    return out;
  }
  return v;
}

TEST(json5_oracle, agrees_with_the_npm_json5_package) {
  auto inputs = base_inputs();
  const auto mutated = mutated_inputs(1500);
  inputs.insert(inputs.end(), mutated.begin(), mutated.end());

  const auto dir = std::filesystem::temp_directory_path() / ("mrb-json5-oracle-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto input_file = dir / "inputs.json";
  const auto script_file = dir / "oracle.js";
  std::ofstream(input_file) << json(inputs).dump();
  std::ofstream(script_file)
      << "const fs = require('fs');\n"
         "const JSON5 = require(process.argv[2] + '/json5');\n"
         "const inputs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));\n"
         "const out = inputs.map(s => { try { return {ok: true, value: JSON.stringify(JSON5.parse(s))}; }\n"
         "  catch (e) { return {ok: false, line: e.lineNumber, message: e.message}; } });\n"
         "process.stdout.write(JSON.stringify(out));\n";
  const std::string command = "'" MRB_NODE "' '" + script_file.string() + "' '" MRB_NODE_MODULES "' '" +
                              input_file.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[65536];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int rc = ::pclose(pipe);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(WEXITSTATUS(rc), 0) << output;
  const auto answers = json::parse(output);
  ASSERT_EQ(answers.size(), inputs.size());

  std::size_t both_parsed = 0;
  std::size_t both_failed = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    json5_error error;
    const auto doc = json5_document::parse(inputs[i], error);
    const auto& answer = answers[i];
    ASSERT_EQ(doc.has_value(), answer["ok"].get<bool>())
        << "input #" << i << ": " << json(inputs[i]).dump() << "\nours: " << (doc ? "parsed" : error.to_string())
        << "\njson5: " << answer.dump();
    if (doc) {
      ++both_parsed;
      // Compare as JSON text round-trips (NaN and Infinity become null on both sides).
      const auto ours = as_doubles(json::parse(doc->to_json().dump(-1, ' ', false, json::error_handler_t::replace)));
      const auto theirs = json::parse(answer["value"].get<std::string>(), nullptr, false);
      if (theirs.is_discarded()) {
        // JSON.stringify writes a lone surrogate as "\udc00", which is not valid JSON for
        // nlohmann; that only happens when the input has a surrogate escape.
        EXPECT_NE(inputs[i].find("\\uD"), std::string::npos) << json(inputs[i]).dump();
        continue;
      }
      EXPECT_EQ(ours, as_doubles(theirs)) << "input #" << i << ": " << json(inputs[i]).dump();
    } else {
      ++both_failed;
      // json5 reports a raw line break in a string after consuming it (next line, column 0);
      // we point at the line break itself.
      const auto theirs = answer["line"].get<std::size_t>();
      const bool at_line_break = error.offset < inputs[i].size() && inputs[i][error.offset] == '\n';
      EXPECT_TRUE(error.line == theirs || (at_line_break && theirs == error.line + 1))
          << "input #" << i << ": " << json(inputs[i]).dump() << "\nours: " << error.to_string()
          << "\njson5: " << answer["message"];
    }
  }
  EXPECT_GT(both_parsed, 150u);
  EXPECT_GT(both_failed, 150u);
}

}  // namespace
}  // namespace mrb::setup
