// Cross-checks json5_reader against the npm json5 package (what OpenClaw itself uses): the
// same inputs, hand-written and mutated, must give the same value or the same error, position
// and message.
#include "json5_reader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace oc = fakes::openclaw;
using nlohmann::json;

namespace {

std::vector<std::string> const hand_written = {
    "{unquoted: 'and you can quote me on that', singleQuotes: 'I can use \"double quotes\" here',\n"
    "lineBreaks: \"Look, Mom! \\\nNo \\\\n's!\", hexadecimal: 0xdecaf, leadingDecimalPoint: .8675309,\n"
    "andTrailing: 8675309., positiveSign: +1, trailingComma: 'in objects', andIn: ['arrays',],\n"
    "\"backwardsCompatible\": \"with JSON\",}",
    "// c\n{\n  gateway: { mode: \"local\" },\n  agents: { defaults: { model: { primary: \"docker-model-runner/ai/qwen2.5:7B-Q4_K_M\" } } },\n"
    "  models: { mode: \"merge\", providers: { \"docker-model-runner\": {\n"
    "    baseUrl: \"http://127.0.0.1:54321/engines/llama.cpp/v1\", apiKey: \"not-needed\",\n"
    "    models: [{ id: \"ai/qwen2.5:7B-Q4_K_M\", cost: { input: 0, output: 0 }, contextWindow: 32768, maxTokens: 8192 }] } } },\n}\n",
    "[1, -2, +3, .5, 5., 0x1F, -0xff, 1e3, 1E-2, 0.5e+1, Infinity, -Infinity, NaN, +NaN, 0, -0]",
    "'\\x41\\u00e9\\t\\v\\0\\b\\f\\r\\n\\'\\\"\\\\\\a\\/'",
    "\"\\uD83D\\uDE00 \xF0\x9F\x98\x80 caf\xC3\xA9\"",
    "{caf\xC3\xA9: 1, \xCF\x80: 2, \xE4\xB8\xAD\xE6\x96\x87: 3, a\xE2\x80\x8D" "b: 4, $_: 5, \\u0061\\u0062: 6}",
    "{\xC2\xA9: 1}",
    "{\xE2\x86\x92: 1}",
    "{\xF0\x9F\x98\x80: 1}",
    "/* a */ // b\n /** c **/ null /* d */",
    "\xEF\xBB\xBF{a:1}",
    "{a:1,,}",
    "[,]",
    "{a b: 1}",
    "'unterminated",
    "\"line\nbreak\"",
    "\"line\\\r\ncontinued\"",
    "0x",
    "1e",
    "1e+",
    "+",
    "-.e",
    "tru",
    "nul",
    "Infinit",
    "{'a':1} extra",
    "[1 2]",
    "{\"a\" 1}",
    "\"\\u12\"",
    "\"\\x4\"",
    "\"\\01\"",
    "\"\\9\"",
    "{\\u0030: 1}",
    "{a\\u002D: 1}",
    "{\\x41: 1}",
    "/ x",
    "/* never closed *",
    "// only a comment",
    "",
    "   \n\t ",
    "{\n\n   key: \"value\",\n   other: @\n}",
    "[\r\n1,\r\n2\r\n@]",
    "{a: {b: {c: [[[{}]]]}}}",
    "\"tab\tinside\"",
    "{\"__proto__\": 1, \"constructor\": 2}",
    "{dup: 1, dup: 2}",
    "9007199254740993",
    "123456789012345678901234567890",
    "1.7976931348623157e309",
    "\"\xE2\x80\xA8 separator\"",
    "\xE2\x80\xA8[1]\xE2\x80\xA9",
    "\xE3\x80\x80{\xE2\x80\x83" "a: 1}",
};

std::string
mutate(std::string s, std::mt19937& rng)
{
    static constexpr char alphabet[] = "{}[]:,'\"\\/*\n\r\t 019xXeE.+-abnrtuINfl$_";
    int const edits = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < edits; ++i)
    {
        std::size_t const pos = s.empty() ? 0 : rng() % s.size();
        char const c = alphabet[rng() % (sizeof(alphabet) - 1)];
        switch (rng() % 5)
        {
        case 0: if (!s.empty()) s.erase(pos, 1); break;
        case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
        case 2: if (!s.empty()) s[pos] = c; break;
        case 3: s.resize(pos); break;
        default: s.insert(pos, s.substr(pos, rng() % 6)); break;
        }
    }
    return s;
}

std::vector<std::string>
all_inputs()
{
    std::vector<std::string> inputs = hand_written;
    // Mutate only the ASCII seeds, so every mutant stays valid UTF-8 (Node reads text).
    std::vector<std::string> seeds;
    for (auto const& s : hand_written)
        if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }) &&
            s.size() > 3)
            seeds.push_back(s);
    std::mt19937 rng(424242);
    for (int i = 0; i < 1500; ++i)
        inputs.push_back(mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng));
    return inputs;
}

json
run_oracle(std::vector<std::string> const& inputs)
{
    auto const file = std::filesystem::path(::testing::TempDir()) /
        ("json5-oracle-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << json(inputs).dump();
    std::string const command = std::string("\"") + MRB_NODE_EXECUTABLE + "\" \"" + JSON5_ORACLE_SCRIPT +
        "\" \"" + MRB_NODE_MODULES + "/json5\" \"" + file.string() + "\"";
    FILE* p = ::popen(command.c_str(), "r");
    std::string out;
    if (p != nullptr)
    {
        char buf[65536];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
            out.append(buf, n);
        ::pclose(p);
    }
    std::filesystem::remove(file);
    return json::parse(out, nullptr, false);
}

}  // namespace

TEST(json5_oracle, agrees_with_the_npm_json5_package)
{
    auto const inputs = all_inputs();
    auto const oracle = run_oracle(inputs);
    ASSERT_TRUE(oracle.is_array()) << "node did not answer; is json5 in " << MRB_NODE_MODULES << "?";
    ASSERT_EQ(oracle.size(), inputs.size());

    int accepted = 0;
    int rejected = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i)
    {
        auto const& want = oracle[i];
        auto const got = oc::json5_reader::parse(inputs[i]);
        SCOPED_TRACE("input " + std::to_string(i) + ": " + json(inputs[i]).dump());
        ASSERT_EQ(static_cast<bool>(got), want["ok"].get<bool>())
            << (got ? "we accepted " + got.value.dump() : "we rejected: " + got.error->message)
            << "; json5 says " << want.dump();
        if (got)
        {
            ++accepted;
            // Compare as JSON, as JSON.stringify sees it (NaN and Infinity become null).
            auto const ours = json::parse(got.value.dump());
            auto const theirs = json::parse(want["value"].get<std::string>());
            EXPECT_EQ(ours, theirs);
        }
        else
        {
            ++rejected;
            EXPECT_EQ(got.error->message, want["message"].get<std::string>());
            EXPECT_EQ(got.error->line, want["line"].get<int>());
            EXPECT_EQ(got.error->column, want["column"].get<int>());
        }
    }
    // The corpus must exercise both sides.
    EXPECT_GT(accepted, 100);
    EXPECT_GT(rejected, 500);
}
