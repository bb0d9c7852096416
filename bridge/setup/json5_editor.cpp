#include "bridge/setup/json5_editor.hpp"

#include <algorithm>
#include <stdexcept>

namespace mrb::setup {
namespace {

constexpr std::size_t max_inline_width = 72;
constexpr std::size_t max_line_width = 100;
constexpr auto dump_handler = nlohmann::json::error_handler_t::replace;

bool is_bare_identifier(const std::string& key) {
  if (key.empty()) return false;
  const auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
           (!first && c >= '0' && c <= '9');
  };
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (!ok(key[i], i == 0)) return false;
  }
  // Reserved words are legal JSON5 keys, but quoting them reads less surprisingly.
  return key != "true" && key != "false" && key != "null";
}

bool is_scalar(const nlohmann::ordered_json& v) { return !v.is_object() && !v.is_array(); }

// Wraps `value` in objects named by path[from..] ({"a":{"b":value}} for ["a","b"]).
nlohmann::ordered_json nest(const std::vector<std::string>& path, std::size_t from,
                            const nlohmann::ordered_json& value) {
  nlohmann::ordered_json out = value;
  for (std::size_t i = path.size(); i > from; --i) {
    nlohmann::ordered_json wrapper = nlohmann::ordered_json::object();
    wrapper[path[i - 1]] = std::move(out);
    out = std::move(wrapper);
  }
  return out;
}

// Key order does not matter for equality: a user who reordered keys keeps their order.
bool same_value(const json5_node& node, const nlohmann::ordered_json& value) {
  return json5_document::to_json(node) == nlohmann::json::parse(value.dump(-1, ' ', false, dump_handler));
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

json5_editor::json5_editor(json5_document document) : document_(std::move(document)) { detect_style(); }

void json5_editor::detect_style() {
  const auto& text = document_.text();
  bool found_unit = false;
  bool any_key = false;
  // Depth-first walk; the first multi-line container with a member on its own line gives the unit.
  std::vector<const json5_node*> stack{&document_.root()};
  while (!stack.empty()) {
    const json5_node* node = stack.back();
    stack.pop_back();
    std::vector<std::size_t> starts;
    if (node->type == json5_node::kind::object) {
      for (const auto& m : node->members) {
        starts.push_back(m.key_span.begin);
        if (!any_key) {
          any_key = true;
          bare_keys_ = !m.quoted_key;
        }
        stack.push_back(&m.value);
      }
    } else if (node->type == json5_node::kind::array) {
      for (const auto& e : node->elements) {
        starts.push_back(e.span.begin);
        stack.push_back(&e);
      }
    }
    if (found_unit || starts.empty() || same_line(node->span.begin, starts.front())) continue;
    const auto outer = line_indent(node->span.begin);
    const auto inner = line_indent(starts.front());
    // The member must start its line for its indentation to mean anything.
    std::size_t line_start = starts.front();
    while (line_start > 0 && is_blank(text[line_start - 1])) --line_start;
    if (line_start > 0 && text[line_start - 1] != '\n' && text[line_start - 1] != '\r') continue;
    if (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0) {
      indent_unit_ = inner.substr(outer.size());
      found_unit = true;
    }
  }
}

std::string json5_editor::line_indent(std::size_t offset) const {
  const auto& text = document_.text();
  std::size_t start = std::min(offset, text.size());
  while (start > 0 && text[start - 1] != '\n' && text[start - 1] != '\r') --start;
  std::size_t end = start;
  while (end < text.size() && is_blank(text[end])) ++end;
  return text.substr(start, end - start);
}

bool json5_editor::same_line(std::size_t a, std::size_t b) const {
  const auto& text = document_.text();
  const auto lo = std::min(a, b);
  const auto hi = std::min(std::max(a, b), text.size());
  return std::none_of(text.begin() + static_cast<std::ptrdiff_t>(lo), text.begin() + static_cast<std::ptrdiff_t>(hi),
                      [](char c) { return c == '\n' || c == '\r'; });
}

std::string json5_editor::format_key(const std::string& key) const {
  if (bare_keys_ && is_bare_identifier(key)) return key;
  return nlohmann::ordered_json(key).dump(-1, ' ', false, dump_handler);
}

std::string json5_editor::format(const nlohmann::ordered_json& value, const std::string& indent, bool multiline) const {
  if (is_scalar(value)) return value.dump(-1, ' ', false, dump_handler);
  if (value.empty()) return value.is_object() ? "{}" : "[]";
  // Arrays of scalars and short objects of scalars stay on one line (`input: ["text"]`,
  // `cost: { input: 0, output: 0 }`), as people write them by hand.
  const bool flat = std::all_of(value.begin(), value.end(), is_scalar);
  if (multiline && flat && (value.is_array() || format(value, indent, false).size() <= max_inline_width)) {
    multiline = false;
  }
  if (!multiline) {
    std::string out = value.is_object() ? "{ " : "[";
    bool first = true;
    if (value.is_object()) {
      for (const auto& [k, v] : value.items()) {
        out += first ? "" : ", ";
        out += format_key(k) + ": " + format(v, indent, false);
        first = false;
      }
      return out + " }";
    }
    for (const auto& v : value) {
      out += first ? "" : ", ";
      out += format(v, indent, false);
      first = false;
    }
    return out + "]";
  }
  const std::string inner = indent + indent_unit_;
  std::string out = value.is_object() ? "{\n" : "[\n";
  std::size_t i = 0;
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) {
      out += inner + format_key(k) + ": " + format(v, inner, true);
      out += ++i < value.size() ? ",\n" : "\n";
    }
    return out + indent + "}";
  }
  for (const auto& v : value) {
    out += inner + format(v, inner, true);
    out += ++i < value.size() ? ",\n" : "\n";
  }
  return out + indent + "]";
}

std::vector<json5_editor::edit> json5_editor::insert_member(const json5_node& object, const std::string& key,
                                                            const nlohmann::ordered_json& value) const {
  const auto& text = document_.text();
  const std::size_t open = object.span.begin;
  const std::size_t close = object.span.end - 1;
  const std::string base = line_indent(open);

  if (object.members.empty()) {
    const std::string member_indent = base + indent_unit_;
    const std::string member = format_key(key) + ": " + format(value, member_indent, true);
    const auto interior = std::string_view(text).substr(open + 1, close - open - 1);
    if (interior.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return {{open + 1, close, "\n" + member_indent + member + "\n" + base}};
    }
    // Comments inside an empty object stay; the member goes on its own line before the brace.
    std::size_t line_start = close;
    while (line_start > open + 1 && is_blank(text[line_start - 1])) --line_start;
    if (text[line_start - 1] == '\n' || text[line_start - 1] == '\r') {
      return {{line_start, line_start, member_indent + member + "\n"}};
    }
    return {{close, close, "\n" + member_indent + member + "\n" + base}};
  }

  const auto& last = object.members.back();
  const std::size_t member_end = last.comma ? *last.comma + 1 : last.value.span.end;
  if (same_line(member_end, close)) {
    // Closing brace on the member's line: continue the line (`{ a: 1, b: 2 }`).
    const std::string member = format_key(key) + ": " + format(value, base, false);
    if (last.comma) return {{member_end, member_end, " " + member + ","}};
    return {{member_end, member_end, ", " + member}};
  }
  const std::string indent = line_indent(last.key_span.begin);
  const std::string member = format_key(key) + ": " + format(value, indent, true);
  // Insert after the end of the last member's line, so a trailing comment stays with its member.
  std::size_t eol = member_end;
  while (eol < close) {
    if (text[eol] == '\n' || text[eol] == '\r') break;
    if (text.compare(eol, 2, "/*") == 0) {
      const auto end = text.find("*/", eol + 2);
      if (end == std::string::npos || !same_line(eol, end)) break;
      eol = end + 2;
      continue;
    }
    if (text.compare(eol, 2, "//") == 0) {
      while (eol < close && text[eol] != '\n' && text[eol] != '\r') ++eol;
      break;
    }
    ++eol;
  }
  const std::string line = "\n" + indent + member + (last.comma ? "," : "");
  if (last.comma) return {{eol, eol, line}};
  // The last member gains the comma it lacked; one edit when both land on the same offset.
  if (eol == last.value.span.end) return {{eol, eol, "," + line}};
  return {{last.value.span.end, last.value.span.end, ","}, {eol, eol, line}};
}

bool json5_editor::too_big_for_one_line(const json5_node& object, const std::string& key,
                                        const nlohmann::ordered_json& value) const {
  if (object.members.empty() || !same_line(object.members.back().value.span.end, object.span.end)) return false;
  if (value.is_object() || value.is_array()) {
    if (!std::all_of(value.begin(), value.end(), is_scalar)) return true;
  }
  const auto& text = document_.text();
  std::size_t start = object.span.end;
  while (start > 0 && text[start - 1] != '\n') --start;
  const std::size_t end = std::min(text.find('\n', object.span.end), text.size());
  const auto member = format_key(key) + ": " + format(value, "", false);
  return (end - start) + member.size() + 2 > max_line_width;
}

bool json5_editor::expand(const json5_node& object) {
  const auto& text = document_.text();
  const std::string base = line_indent(object.span.begin);
  const std::string inner = base + indent_unit_;
  const auto blank = [&](std::size_t from, std::size_t to) {
    return text.find_first_not_of(" \t", from) >= to;
  };
  std::vector<edit> edits;
  std::size_t from = object.span.begin + 1;
  for (const auto& m : object.members) {
    if (blank(from, m.key_span.begin)) edits.push_back({from, m.key_span.begin, "\n" + inner});
    from = m.comma ? *m.comma + 1 : m.value.span.end;
  }
  const std::size_t close = object.span.end - 1;
  if (blank(from, close)) edits.push_back({from, close, "\n" + base});
  if (edits.empty()) return false;
  apply(std::move(edits));
  return true;
}

void json5_editor::apply(std::vector<edit> edits) {
  std::sort(edits.begin(), edits.end(), [](const edit& a, const edit& b) { return a.begin > b.begin; });
  std::string text = document_.text();
  for (const auto& e : edits) text.replace(e.begin, e.end - e.begin, e.replacement);
  json5_error error;
  auto reparsed = json5_document::parse(std::move(text), error);
  if (!reparsed) throw std::logic_error("json5_editor produced unparsable text: " + error.to_string());
  document_ = std::move(*reparsed);
}

bool json5_editor::set(const std::vector<std::string>& path, const nlohmann::ordered_json& value) {
  const json5_node* node = &document_.root();
  if (path.empty()) {
    if (same_value(*node, value)) return false;
    apply({{node->span.begin, node->span.end, format(value, line_indent(node->span.begin), true)}});
    return true;
  }
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (node->type != json5_node::kind::object) {
      // Not an object where the path needs one (e.g. a string model): replace it as a whole.
      const auto replacement = nest(path, i, value);
      apply({{node->span.begin, node->span.end, format(replacement, line_indent(node->span.begin), true)}});
      return true;
    }
    const json5_member* member = json5_document::find_member(*node, path[i]);
    if (member == nullptr) {
      const auto nested = nest(path, i + 1, value);
      // A one-line object that would grow nested or too long is first spread over lines.
      if (too_big_for_one_line(*node, path[i], nested) && expand(*node)) return set(path, value);
      apply(insert_member(*node, path[i], nested));
      return true;
    }
    if (i + 1 == path.size()) {
      if (same_value(member->value, value)) return false;
      const bool multiline = !same_line(node->span.begin, node->span.end);
      const auto& v = member->value;
      apply({{v.span.begin, v.span.end, format(value, line_indent(member->key_span.begin), multiline)}});
      return true;
    }
    node = &member->value;
  }
  return false;
}

}  // namespace mrb::setup
