// Fuzz target: the bridge's JSON5 reader and editor (bridge/setup), what `configure` runs on the
// user's openclaw.json. Invariants: never crash; every span lies inside the text and inside its
// parent; a parsed document written out as JSON parses back to the same value; an edit (set)
// yields text that parses to the old value with the edited path changed, and the bytes outside
// the edited node (or, for an inserted member, outside its object's braces) are unchanged.
// Input: 8 control bytes choosing the edit, then the document.

#include "fuzz_support.hpp"

#include "bridge/setup/json5_document.hpp"
#include "bridge/setup/json5_editor.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace {

using mrb::setup::json5_document;
using mrb::setup::json5_editor;
using mrb::setup::json5_node;
using mrb::setup::json5_span;
using mrb::fuzz::printable;

void check_spans(const json5_node& node, json5_span outer, std::size_t text_size)
{
    FUZZ_CHECK(node.span.begin < node.span.end && node.span.end <= text_size, "span out of the text");
    FUZZ_CHECK(node.span.begin >= outer.begin && node.span.end <= outer.end, "span outside its parent");
    std::size_t previous_end = node.span.begin;
    for (const auto& m : node.members)
    {
        FUZZ_CHECK(m.key_span.begin >= previous_end && m.key_span.end <= m.value.span.begin, "key span out of order");
        check_spans(m.value, node.span, text_size);
        previous_end = m.comma ? *m.comma + 1 : m.value.span.end;
    }
    for (const auto& e : node.elements)
    {
        FUZZ_CHECK(e.span.begin >= previous_end, "element spans out of order");
        check_spans(e, node.span, text_size);
        previous_end = e.span.end;
    }
}

// NaN never equals itself, and neither NaN nor infinities have a JSON spelling.
bool all_finite(const nlohmann::json& j)
{
    if (j.is_number_float())
        return std::isfinite(j.get<double>());
    if (j.is_structured())
        for (const auto& v : j)
            if (!all_finite(v))
                return false;
    if (j.is_object())
        for (const auto& [k, v] : j.items())
            if (!mrb::fuzz::is_utf8(k))
                return false;
    if (j.is_string())
        return mrb::fuzz::is_utf8(j.get_ref<const std::string&>());
    return true;
}

const char* const fixed_keys[] = {"models", "providers", "mrb", "agents", "defaults", "model", "primary", "",
                                  "a b", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "\"q\"", "true", "x\ny", "$id", "0"};

nlohmann::ordered_json make_value(std::uint8_t kind, std::uint8_t n)
{
    switch (kind % 8)
    {
    case 0: return nullptr;
    case 1: return n % 2 == 0;
    case 2: return static_cast<int>(n) - 100;
    case 3: return "ai/qwen2.5:7B-Q4_K_M";
    case 4: return std::string("q\"\\\n\t\x01 \xe2\x80\xa8 end");
    case 5: return nlohmann::ordered_json::array({1, "two", nullptr});
    case 6: return {{"id", "ai/smollm2"}, {"contextWindow", 32768}};
    default:
        return {{"baseUrl", "http://127.0.0.1:54321/engines/v1"},
                {"models", nlohmann::ordered_json::array({{{"id", "m"}, {"input", {"text"}}}})}};
    }
}

// The document's value with `value` set at `path`, the way the editor promises it.
void set_expected(nlohmann::json& j, const std::vector<std::string>& path, std::size_t i, const nlohmann::json& value)
{
    if (i == path.size())
    {
        j = value;
        return;
    }
    if (!j.is_object())
        j = nlohmann::json::object();
    set_expected(j[path[i]], path, i + 1, value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    mrb::fuzz::byte_reader in(data, size);
    std::uint8_t ctl[8];
    for (auto& c : ctl)
        c = in.byte();
    const std::string text(in.rest());

    mrb::setup::json5_error error;
    auto doc = json5_document::parse(text, error);
    if (!doc)
    {
        FUZZ_CHECK(error.offset <= text.size(), error.to_string());
        FUZZ_CHECK(!error.message.empty() && error.line >= 1 && error.column >= 1, error.to_string());
        return 0;
    }
    FUZZ_CHECK(doc->text() == text, "the document does not keep its text");
    check_spans(doc->root(), {0, text.size()}, text.size());
    const auto before = doc->to_json();

    // JSON is JSON5: the value written as JSON reads back the same.
    if (all_finite(before))
    {
        const auto json_text = before.dump();
        mrb::setup::json5_error e2;
        const auto again = json5_document::parse(json_text, e2);
        FUZZ_CHECK(again.has_value(), "own JSON output rejected: " + e2.to_string() + " in " + printable(json_text));
        FUZZ_CHECK(again->to_json() == before, "JSON round trip changed the value: " + printable(json_text));
    }

    // The path: up to 3 keys, each an existing member of the node reached so far or a fixed one.
    std::vector<std::string> path;
    json5_span region = doc->root().span; // what the edit may rewrite
    const json5_node* node = &doc->root();
    bool region_fixed = false;
    const std::size_t depth = ctl[0] % 4;
    for (std::size_t i = 0; i < depth; ++i)
    {
        std::string key;
        if (node && node->type == json5_node::kind::object && !node->members.empty() && (ctl[1] >> i) & 1)
            key = node->members[ctl[2 + i] % node->members.size()].key;
        else
            key = fixed_keys[ctl[2 + i] % std::size(fixed_keys)];
        if (!mrb::fuzz::is_utf8(key))
            return 0; // a key read from a lone-surrogate escape cannot be written back as UTF-8
        path.push_back(key);
        if (region_fixed)
            continue;
        if (node->type != json5_node::kind::object)
        {
            region = node->span;
            region_fixed = true;
            continue;
        }
        const auto* member = json5_document::find_member(*node, key);
        if (!member)
        {
            region = {node->span.begin + 1, node->span.end - 1}; // inside the braces
            region_fixed = true;
            continue;
        }
        node = &member->value;
        region = node->span;
    }
    const auto value = make_value(ctl[5], ctl[6]);
    const auto value_json = nlohmann::json::parse(value.dump());

    json5_editor editor(std::move(*doc));
    const bool changed = editor.set(path, value);
    const auto& after_text = editor.text();

    mrb::setup::json5_error e3;
    const auto reparsed = json5_document::parse(after_text, e3);
    FUZZ_CHECK(reparsed.has_value(), "edited text does not parse: " + e3.to_string());
    auto expected = before;
    set_expected(expected, path, 0, value_json);
    if (all_finite(before))
        FUZZ_CHECK(reparsed->to_json() == expected,
                   "edit gave " + reparsed->to_json().dump() + ", expected " + expected.dump() + "; text: " +
                       printable(after_text));
    const auto* at = reparsed->find(path);
    FUZZ_CHECK(path.empty() || (at && json5_document::to_json(at->value) == value_json), "edited value not found");
    if (!changed)
        FUZZ_CHECK(after_text == text, "set() said unchanged but the text changed");

    // Bytes outside the edited region survive byte for byte.
    const std::size_t tail = text.size() - region.end;
    FUZZ_CHECK(after_text.size() >= region.begin + tail, "edit removed text outside its region");
    FUZZ_CHECK(after_text.compare(0, region.begin, text, 0, region.begin) == 0,
               "text before the edited region changed: " + printable(after_text));
    FUZZ_CHECK(after_text.compare(after_text.size() - tail, tail, text, region.end, tail) == 0,
               "text after the edited region changed: " + printable(after_text));
    return 0;
}
