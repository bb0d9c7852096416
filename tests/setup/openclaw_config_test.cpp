// openclaw_config: the merge against golden files (input -> expected), idempotence, and the
// checks doctor runs. Regenerate the expected files with MRB_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/setup/line_diff.hpp"
#include "bridge/setup/openclaw_config.hpp"

namespace mrb::setup {
namespace {

const std::filesystem::path golden_dir = MRB_SETUP_GOLDEN_DIR;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

openclaw_settings golden_settings() {
  openclaw_settings s;
  s.base_url = openclaw_config::base_url("127.0.0.1:54321");
  s.models = {{"ai/qwen2.5:7B-Q4_K_M", 32768, "4.36 GiB", "Q4_K_M", "7.62 B", "qwen2"},
              {"ai/smollm2:latest", 8192, "256.35 MiB", "IQ2_XXS/Q4_K_M", "361.82 M", "llama"},
              {"ai/mystery:latest", std::nullopt, "", "", "", ""}};
  s.primary = "ai/qwen2.5:7B-Q4_K_M";
  return s;
}

class merge_golden : public testing::TestWithParam<std::string> {};

TEST_P(merge_golden, matches_expected_and_is_idempotent) {
  const auto input = slurp(golden_dir / (GetParam() + ".input.json5"));
  const auto expected_path = golden_dir / (GetParam() + ".expected.json5");
  json5_error error;
  const auto merged = openclaw_config::merge(input, golden_settings(), error);
  ASSERT_TRUE(merged) << error.to_string();
  if (std::getenv("MRB_UPDATE_GOLDEN") != nullptr) spit(expected_path, *merged);
  const auto expected = slurp(expected_path);
  EXPECT_EQ(*merged, expected) << line_diff::unified(expected, *merged, "expected", "actual");

  // A second run with the same inputs leaves the text byte-identical.
  const auto again = openclaw_config::merge(*merged, golden_settings(), error);
  ASSERT_TRUE(again) << error.to_string();
  EXPECT_EQ(*again, *merged) << line_diff::unified(*merged, *again, "first", "second");

  // The provider is what OpenClaw needs; the user's primary model and gateway stay theirs.
  auto doc = json5_document::parse(*merged, error);
  ASSERT_TRUE(doc) << error.to_string();
  const auto value = doc->to_json();
  EXPECT_EQ(value["models"]["providers"]["docker-model-runner"]["baseUrl"], golden_settings().base_url);
  EXPECT_EQ(value["models"]["providers"]["docker-model-runner"]["models"].size(), 3u);
  EXPECT_TRUE(value["models"].contains("mode"));
}

TEST(openclaw_config, primary_is_set_only_where_there_is_none) {
  json5_error error;
  const auto merged = openclaw_config::merge(slurp(golden_dir / "fresh.input.json5"), golden_settings(), error);
  ASSERT_TRUE(merged);
  const auto value = json5_document::parse(*merged, error)->to_json();
  EXPECT_EQ(value["agents"]["defaults"]["model"]["primary"], "docker-model-runner/ai/qwen2.5:7B-Q4_K_M");
  EXPECT_EQ(value["models"]["mode"], "merge");
  EXPECT_FALSE(value.contains("gateway"));
  EXPECT_TRUE(openclaw_config::check(value, golden_settings().base_url).empty());
}

TEST(openclaw_config, flags_ask_for_the_primary_and_the_gateway) {
  auto settings = golden_settings();
  settings.set_primary = true;
  settings.gateway_local = true;
  json5_error error;
  const auto merged = openclaw_config::merge(slurp(golden_dir / "existing.input.json5"), settings, error);
  ASSERT_TRUE(merged);
  const auto value = json5_document::parse(*merged, error)->to_json();
  EXPECT_EQ(value["agents"]["defaults"]["model"]["primary"], "docker-model-runner/ai/qwen2.5:7B-Q4_K_M");
  EXPECT_EQ(value["agents"]["defaults"]["model"]["fallbacks"], nlohmann::json::array({"anthropic/claude-haiku-4"}));
  EXPECT_EQ(value["gateway"]["mode"], "local");
  EXPECT_EQ(value["models"]["mode"], "replace");  // still lists our provider; the user's choice
  EXPECT_TRUE(openclaw_config::check(value, settings.base_url).empty());
}

TEST(openclaw_config, changes_lists_each_leaf_as_old_to_new) {
  const auto before = nlohmann::json::parse(R"({"gateway":{"mode":"remote","port":1},"a":{"b":"x"}})");
  const auto after = nlohmann::json::parse(
      R"({"gateway":{"mode":"local","port":1},"a":{"b":"x","c":[{"id":"m1"},{"id":"m2"}]},"n":{"k":true}})");
  EXPECT_EQ(openclaw_config::changes(before, after),
            (std::vector<std::string>{"a.c: (unset) -> [m1, m2]", "gateway.mode: \"remote\" -> \"local\"",
                                      "n.k: (unset) -> true"}));  // keys in sorted order
  EXPECT_TRUE(openclaw_config::changes(after, after).empty());
}

INSTANTIATE_TEST_SUITE_P(golden, merge_golden, testing::Values("fresh", "existing", "commented"));

TEST(openclaw_config, keeps_what_the_user_had) {
  json5_error error;
  const auto merged = openclaw_config::merge(slurp(golden_dir / "existing.input.json5"), golden_settings(), error);
  ASSERT_TRUE(merged);
  const auto value = json5_document::parse(*merged, error)->to_json();
  EXPECT_EQ(value["agents"]["defaults"]["model"]["fallbacks"], nlohmann::json::array({"anthropic/claude-haiku-4"}));
  EXPECT_EQ(value["agents"]["defaults"]["workspace"], "/home/agent/work");
  EXPECT_EQ(value["gateway"]["port"], 18789);
  EXPECT_EQ(value["gateway"]["mode"], "remote");
  EXPECT_EQ(value["agents"]["defaults"]["model"]["primary"], "anthropic/claude-sonnet-4");
  EXPECT_EQ(value["models"]["mode"], "replace");
  EXPECT_EQ(value["models"]["providers"]["anthropic"]["api"], "anthropic-messages");
  EXPECT_EQ(value["meta"]["lastTouchedVersion"], "2026.9.6");
}

TEST(openclaw_config, model_entries_carry_only_keys_openclaw_accepts) {
  const std::set<std::string> accepted = {"id", "name", "reasoning", "input", "cost", "contextWindow", "maxTokens"};
  for (const auto& m : golden_settings().models) {
    const auto entry = openclaw_config::model_entry(m);
    for (const auto& [key, _] : entry.items()) EXPECT_TRUE(accepted.count(key)) << key;
    EXPECT_EQ(entry["id"], m.id);
    EXPECT_EQ(entry.contains("contextWindow"), m.context_window.has_value());
  }
  EXPECT_EQ(openclaw_config::model_entry(golden_settings().models[0])["maxTokens"], 8192);
  EXPECT_EQ(openclaw_config::model_entry(golden_settings().models[1])["maxTokens"], 2048);
}

TEST(openclaw_config, broken_file_reports_line_and_column) {
  json5_error error;
  const auto merged = openclaw_config::merge(slurp(golden_dir / "broken.input.json5"), golden_settings(), error);
  ASSERT_FALSE(merged);
  std::string expected = slurp(golden_dir / "broken.expected.error");
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  EXPECT_EQ(error.to_string(), expected);
}

TEST(openclaw_config, top_level_must_be_an_object) {
  json5_error error;
  EXPECT_FALSE(openclaw_config::merge("\n  [1, 2]\n", golden_settings(), error));
  EXPECT_EQ(error.line, 2u);
  EXPECT_EQ(error.column, 3u);
}

TEST(openclaw_config, check_names_each_problem) {
  const auto url = golden_settings().base_url;
  EXPECT_EQ(openclaw_config::check(nlohmann::json::object(), url).size(), 2u);  // no provider, no primary
  const auto remote = nlohmann::json::parse(R"({"gateway":{"mode":"remote"}})");
  EXPECT_EQ(openclaw_config::check(remote, url).size(), 3u);
  const auto wrong = nlohmann::json::parse(R"({"gateway":{"mode":"local"},
    "agents":{"defaults":{"model":"docker-model-runner/ai/x"}},
    "models":{"providers":{"docker-model-runner":{"baseUrl":"http://127.0.0.1:1/engines/llama.cpp/v1","models":[{}]}}}})");
  const auto problems = openclaw_config::check(wrong, url);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("127.0.0.1:1"), std::string::npos);
}

TEST(line_diff, unified_hunks) {
  EXPECT_EQ(line_diff::unified("a\n", "a\n", "x", "y"), "");
  EXPECT_EQ(line_diff::unified("a\nb\nc\n", "a\nB\nc\n", "x", "y"), "--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
  EXPECT_EQ(line_diff::unified("", "new\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1 @@\n+new\n");
  EXPECT_EQ(line_diff::unified("a", "a\n", "x", "y"),
            "--- x\n+++ y\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
  // Changes far apart make two hunks with three lines of context each.
  std::string before;
  for (int i = 1; i <= 20; ++i) before += std::to_string(i) + "\n";
  std::string after = before;
  after.replace(after.find("2\n"), 2, "two\n");
  after.replace(after.find("19\n"), 3, "nineteen\n");
  EXPECT_EQ(line_diff::unified(before, after, "x", "y"),
            "--- x\n+++ y\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
            "@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n");
}

}  // namespace
}  // namespace mrb::setup
