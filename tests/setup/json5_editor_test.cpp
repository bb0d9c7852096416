// json5_editor: only the text of changed values moves; new keys match the surrounding layout.
#include <gtest/gtest.h>

#include <random>

#include "bridge/setup/json5_editor.hpp"

namespace mrb::setup {
namespace {

using ojson = nlohmann::ordered_json;

json5_editor editor_for(const std::string& text) {
  json5_error error;
  auto doc = json5_document::parse(text, error);
  if (!doc) throw std::runtime_error(error.to_string());
  return json5_editor{std::move(*doc)};
}

TEST(json5_editor, replaces_only_the_value_and_keeps_comments) {
  auto e = editor_for("{\n  // mode\n  mode: 'replace', /* why */\n  other: 1,\n}\n");
  EXPECT_TRUE(e.set({"mode"}, "merge"));
  EXPECT_EQ(e.text(), "{\n  // mode\n  mode: \"merge\", /* why */\n  other: 1,\n}\n");
}

TEST(json5_editor, equal_value_in_another_spelling_is_left_alone) {
  const std::string text = "{ mode: 'merge', n: 0x10, list: [ 'a', ], }";
  auto e = editor_for(text);
  EXPECT_FALSE(e.set({"mode"}, "merge"));
  EXPECT_FALSE(e.set({"n"}, 16));
  EXPECT_FALSE(e.set({"list"}, ojson::array({"a"})));
  EXPECT_EQ(e.text(), text);
}

TEST(json5_editor, inserts_after_last_member_with_its_indentation_and_comma_style) {
  auto with_comma = editor_for("{\n    a: 1,\n    b: 2, // last\n}\n");
  EXPECT_TRUE(with_comma.set({"c"}, 3));
  EXPECT_EQ(with_comma.text(), "{\n    a: 1,\n    b: 2, // last\n    c: 3,\n}\n");

  auto without_comma = editor_for("{\n\t\"a\": 1,\n\t\"b\": 2 /* last */\n}");
  EXPECT_TRUE(without_comma.set({"c"}, "x"));
  EXPECT_EQ(without_comma.text(), "{\n\t\"a\": 1,\n\t\"b\": 2, /* last */\n\t\"c\": \"x\"\n}");
}

TEST(json5_editor, creates_nested_objects_with_detected_indent_unit) {
  auto e = editor_for("{\n   a: {\n      b: 1\n   }\n}");
  EXPECT_TRUE(e.set({"x", "y", "z"}, ojson::array({"text"})));
  EXPECT_EQ(e.text(), "{\n   a: {\n      b: 1\n   },\n   x: {\n      y: {\n         z: [\"text\"]\n      }\n   }\n}");
}

TEST(json5_editor, inline_objects_stay_inline) {
  auto e = editor_for("{ a: 1 }");
  EXPECT_TRUE(e.set({"b"}, ojson{{"c", true}}));
  EXPECT_EQ(e.text(), "{ a: 1, b: { c: true } }");
  auto t = editor_for("{ a: 1, }");
  EXPECT_TRUE(t.set({"b"}, 2));
  EXPECT_EQ(t.text(), "{ a: 1, b: 2, }");
}

TEST(json5_editor, one_line_objects_are_spread_when_they_would_grow_nested) {
  auto e = editor_for("{\n  models: { mode: 0x1, }, // keep\n}");
  EXPECT_TRUE(e.set({"models", "providers", "p"}, ojson{{"a", ojson::array({ojson{{"x", 1}}})}}));
  EXPECT_EQ(e.text(), "{\n  models: {\n    mode: 0x1,\n    providers: {\n      p: {\n        a: [\n          { x: 1 }\n"
                      "        ]\n      }\n    },\n  }, // keep\n}");
}

TEST(json5_editor, empty_objects_and_quoted_key_style) {
  auto e = editor_for("{}\n");
  EXPECT_TRUE(e.set({"gateway", "mode"}, "local"));
  EXPECT_EQ(e.text(), "{\n  \"gateway\": { \"mode\": \"local\" }\n}\n");
  EXPECT_TRUE(e.set({"models", "list"}, ojson::array({ojson{{"id", "a"}}})));
  EXPECT_EQ(e.text(), "{\n  \"gateway\": { \"mode\": \"local\" },\n  \"models\": {\n    \"list\": [\n      { \"id\": \"a\" }\n    ]\n  }\n}\n");
  auto c = editor_for("{\n  a: {\n    // nothing yet\n  },\n}");
  EXPECT_TRUE(c.set({"a", "b"}, 1));
  EXPECT_EQ(c.text(), "{\n  a: {\n    // nothing yet\n    b: 1\n  },\n}");
}

TEST(json5_editor, replaces_a_non_object_on_the_path) {
  auto e = editor_for("{\n  model: 'old/one', // string form\n}");
  EXPECT_TRUE(e.set({"model", "primary"}, "p/m"));
  EXPECT_EQ(e.text(), "{\n  model: { primary: \"p/m\" }, // string form\n}");
}

TEST(json5_editor, keys_that_are_not_identifiers_are_quoted) {
  auto e = editor_for("{ providers: {\n  x: 1,\n} }");
  EXPECT_TRUE(e.set({"providers", "docker-model-runner"}, 1));
  EXPECT_EQ(e.text(), "{ providers: {\n  x: 1,\n  \"docker-model-runner\": 1,\n} }");
}

// Every successful parse must survive any set: the result parses and holds the new value.
TEST(json5_editor, fuzz_set_keeps_documents_valid) {
  const std::vector<std::string> seeds = {
      "{a:1,'b':{c:[1,2]},}", "{\n  // c\n  a: { b: 1 } /* x */\n}", "{ a: 'x', a: {}, }", "{}",
      "{\n\tx: {\n\t\ty: 1 // z\n\t}\n}", "{ a: { /* c */ } }",
  };
  const std::vector<std::vector<std::string>> paths = {{"a"}, {"a", "b"}, {"x", "y"}, {"b", "c", "d"}, {"new"}};
  const std::string alphabet = " \n\t/*,:{}ab1'";
  std::mt19937 rng(7);
  int edited = 0;
  for (int round = 0; round < 8000; ++round) {
    std::string text = seeds[rng() % seeds.size()];
    for (int m = 0; m < 2; ++m) {
      const auto at = rng() % (text.size() + 1);
      if (rng() % 2) text.insert(at, 1, alphabet[rng() % alphabet.size()]);
      else if (at < text.size()) text.erase(at, 1);
    }
    json5_error error;
    auto doc = json5_document::parse(text, error);
    if (!doc || doc->root().type != json5_node::kind::object) continue;
    json5_editor e{std::move(*doc)};
    const auto& path = paths[rng() % paths.size()];
    const ojson value = (rng() % 2) ? ojson("v") : ojson{{"k", ojson::array({1, 2})}};
    ASSERT_NO_THROW(e.set(path, value)) << text;
    const auto* member = e.document().find(path);
    ASSERT_NE(member, nullptr) << text << "\n=>\n" << e.text();
    EXPECT_EQ(json5_document::to_json(member->value), nlohmann::json::parse(value.dump()));
    EXPECT_FALSE(e.set(path, value)) << "second set must be a no-op: " << e.text();
    ++edited;
  }
  EXPECT_GT(edited, 1000);
}

}  // namespace
}  // namespace mrb::setup
