#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mrb::setup {

/// A half-open byte range [begin, end) in the document text.
struct json5_span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct json5_member;

/// One parsed value with the place it came from, so an editor can change only that text.
struct json5_node {
  enum class kind { object, array, string, number, boolean, null };
  kind type = kind::null;
  json5_span span;                    ///< the value's text, brackets included
  nlohmann::json scalar;              ///< decoded string, number, boolean or null
  std::vector<json5_member> members;  ///< object members in source order (duplicates kept)
  std::vector<json5_node> elements;   ///< array elements
};

struct json5_member {
  std::string key;                    ///< decoded key
  json5_span key_span;                ///< the key as written (quotes included)
  bool quoted_key = false;
  json5_node value;
  std::optional<std::size_t> comma;   ///< offset of the comma after the value, if any
};

/// Where and why a parse failed; line and column are 1-based, the column counts code points.
struct json5_error {
  std::size_t offset = 0;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;

  /// "<line>:<column>: <message>"
  std::string to_string() const;
};

/// A JSON5 document (https://spec.json5.org/) that keeps its text and the span of every value.
/// Debian 12 packages no JSON5 reader, and editing OpenClaw's config without losing the user's
/// comments and layout needs spans, which a DOM-only parser would throw away.
/// Deviation from the spec: unquoted keys accept non-ASCII code points by an approximation of
/// Unicode ID_Start/ID_Continue (controls, punctuation, symbols and emoji are refused; other
/// code points are accepted).
class json5_document {
public:
  /// Parses `text`; on failure returns nullopt and fills `error`.
  static std::optional<json5_document> parse(std::string text, json5_error& error);

  const std::string& text() const { return text_; }
  const json5_node& root() const { return root_; }

  /// The document's value (duplicate keys: the last wins, as in JSON5's reference parser).
  nlohmann::json to_json() const { return to_json(root_); }
  static nlohmann::json to_json(const json5_node& node);

  /// The member that holds `path` (object keys only), or nullptr. Duplicates: the last wins.
  const json5_member* find(const std::vector<std::string>& path) const;
  /// The member named `key` of an object node (the last one if duplicated), or nullptr.
  static const json5_member* find_member(const json5_node& object, const std::string& key);

  /// 1-based line and column of a byte offset.
  std::pair<std::size_t, std::size_t> line_column(std::size_t offset) const;

private:
  json5_document(std::string text, json5_node root) : text_(std::move(text)), root_(std::move(root)) {}

  std::string text_;
  json5_node root_;
};

}  // namespace mrb::setup
