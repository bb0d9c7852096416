#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/setup/json5_document.hpp"

namespace mrb::setup {

/// Changes values in a JSON5 document by rewriting only the text of the values it must change:
/// comments, key order and formatting elsewhere survive byte for byte. New keys are inserted
/// after an object's last member with that member's indentation; the indent unit and the key
/// quoting style (bare identifiers or double quotes) are taken from the document.
class json5_editor {
public:
  explicit json5_editor(json5_document document);

  /// Makes the value at `path` (object keys) equal to `value`, creating or replacing
  /// intermediate objects as needed. Returns true if the text changed; a value that already
  /// compares equal (whatever its spelling: quotes, hex, comments) is left alone.
  bool set(const std::vector<std::string>& path, const nlohmann::ordered_json& value);

  const json5_document& document() const { return document_; }
  const std::string& text() const { return document_.text(); }

  /// Serialises `value` the way this editor would insert it at indentation `indent`.
  std::string format(const nlohmann::ordered_json& value, const std::string& indent, bool multiline) const;

private:
  struct edit {
    std::size_t begin;
    std::size_t end;
    std::string replacement;
  };

  void apply(std::vector<edit> edits);
  std::vector<edit> insert_member(const json5_node& object, const std::string& key,
                                  const nlohmann::ordered_json& value) const;
  bool too_big_for_one_line(const json5_node& object, const std::string& key,
                            const nlohmann::ordered_json& value) const;
  /// Puts each member of a one-line object on its own line; false if comments prevent it.
  bool expand(const json5_node& object);
  std::string format_key(const std::string& key) const;
  std::string line_indent(std::size_t offset) const;
  bool same_line(std::size_t a, std::size_t b) const;
  void detect_style();

  json5_document document_;
  std::string indent_unit_ = "  ";
  bool bare_keys_ = false;
};

}  // namespace mrb::setup
