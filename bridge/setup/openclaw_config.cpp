#include "bridge/setup/openclaw_config.hpp"

#include <algorithm>

#include "bridge/setup/json5_editor.hpp"

namespace mrb::setup {
namespace {

// OpenClaw's own default for a model without maxTokens is unknown to us; a quarter of the
// context (capped at 8192, what the published recipe used with a 32k context) leaves room for
// OpenClaw's ~22k-character system prompt.
constexpr std::int64_t max_tokens_cap = 8192;

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string shown(const nlohmann::json* v) {
  if (v == nullptr) return "(unset)";
  if (v->is_array()) {
    std::string ids;
    for (const auto& e : *v) {
      if (!e.is_object() || !e.contains("id")) return std::to_string(v->size()) + (v->size() == 1 ? " entry" : " entries");
      ids += (ids.empty() ? "" : ", ") + e["id"].get<std::string>();
    }
    return "[" + ids + "]";
  }
  std::string text = v->dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

void diff_into(const nlohmann::json* a, const nlohmann::json* b, const std::string& path, std::vector<std::string>& out) {
  const bool both_objects = a != nullptr && b != nullptr && a->is_object() && b->is_object();
  if (both_objects) {
    for (const auto& [k, v] : a->items()) diff_into(&v, b->contains(k) ? &b->at(k) : nullptr, join(path, k), out);
    for (const auto& [k, v] : b->items())
      if (!a->contains(k)) diff_into(nullptr, &v, join(path, k), out);
    return;
  }
  // A new or removed object is listed leaf by leaf: "key: (unset) -> value" for each.
  if (a == nullptr && b != nullptr && b->is_object() && !b->empty()) {
    for (const auto& [k, v] : b->items()) diff_into(nullptr, &v, join(path, k), out);
    return;
  }
  if (b == nullptr && a != nullptr && a->is_object() && !a->empty()) {
    for (const auto& [k, v] : a->items()) diff_into(&v, nullptr, join(path, k), out);
    return;
  }
  if (a != nullptr && b != nullptr && *a == *b) return;
  out.push_back(path + ": " + shown(a) + " -> " + shown(b));
}

}  // namespace

std::vector<std::string> openclaw_config::changes(const nlohmann::json& before, const nlohmann::json& after) {
  std::vector<std::string> out;
  diff_into(&before, &after, "", out);
  return out;
}

std::string openclaw_config::base_url(const std::string& listen_authority) {
  return "http://" + listen_authority + "/engines/llama.cpp/v1";
}

nlohmann::ordered_json openclaw_config::model_entry(const model_info& model) {
  nlohmann::ordered_json entry;
  entry["id"] = model.id;
  entry["name"] = model.id + " (Docker Model Runner)";
  entry["reasoning"] = false;
  entry["input"] = {"text"};
  entry["cost"] = {{"input", 0}, {"output", 0}, {"cacheRead", 0}, {"cacheWrite", 0}};
  if (model.context_window) {
    entry["contextWindow"] = *model.context_window;
    entry["maxTokens"] = std::min(max_tokens_cap, std::max<std::int64_t>(1, *model.context_window / 4));
  }
  return entry;
}

std::optional<std::string> openclaw_config::merge(const std::string& text, const openclaw_settings& settings,
                                                  json5_error& error) {
  const bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
  auto document = json5_document::parse(blank ? std::string("{}\n") : text, error);
  if (!document) return std::nullopt;
  if (document->root().type != json5_node::kind::object) {
    error.offset = document->root().span.begin;
    std::tie(error.line, error.column) = document->line_column(error.offset);
    error.message = "the top level of openclaw.json must be an object";
    return std::nullopt;
  }
  const auto before = document->to_json();
  json5_editor editor{std::move(*document)};
  // Only what the provider needs changes by default: the user's gateway and primary model are
  // theirs unless a flag asks (issue 12: configure must never silently change a setting).
  if (settings.gateway_local) editor.set({"gateway", "mode"}, "local");

  const std::string primary = std::string(provider_id) + "/" + settings.primary;
  const auto model_ptr = nlohmann::json::json_pointer("/agents/defaults/model");
  std::string current;
  if (before.contains(model_ptr) && before.at(model_ptr).is_string()) current = before.at(model_ptr).get<std::string>();
  if (before.contains(model_ptr) && before.at(model_ptr).is_object())
    current = before.at(model_ptr).value("primary", std::string());
  if (current.empty() || settings.set_primary) {
    const auto* model = editor.document().find({"agents", "defaults", "model"});
    if (model != nullptr && model->value.type == json5_node::kind::object) {
      editor.set({"agents", "defaults", "model", "primary"}, primary);  // keeps fallbacks
    } else {
      editor.set({"agents", "defaults", "model"}, nlohmann::ordered_json{{"primary", primary}});
    }
  }

  // "merge" keeps OpenClaw's built-in providers; a user's "replace" still lists ours, so it stays.
  if (!before.contains(nlohmann::json::json_pointer("/models/mode"))) editor.set({"models", "mode"}, "merge");
  const std::vector<std::string> provider{"models", "providers", provider_id};
  const auto at = [&](const char* key) {
    auto path = provider;
    path.emplace_back(key);
    return path;
  };
  editor.set(at("baseUrl"), settings.base_url);
  editor.set(at("apiKey"), "not-needed");
  editor.set(at("api"), "openai-completions");
  auto models = nlohmann::ordered_json::array();
  for (const auto& m : settings.models) models.push_back(model_entry(m));
  editor.set(at("models"), models);
  return editor.text();
}

std::vector<std::string> openclaw_config::check(const nlohmann::json& config, const std::string& base_url) {
  std::vector<std::string> problems;
  const auto get = [&](const nlohmann::json::json_pointer& ptr) -> const nlohmann::json* {
    return config.contains(ptr) ? &config.at(ptr) : nullptr;
  };
  const auto* provider = get(nlohmann::json::json_pointer("/models/providers/docker-model-runner"));
  if (provider == nullptr || !provider->is_object()) {
    problems.push_back("no models.providers[\"docker-model-runner\"]");
  } else {
    const auto url = provider->value("baseUrl", std::string());
    if (url != base_url) problems.push_back("baseUrl is \"" + url + "\", the bridge serves " + base_url);
    const auto models = provider->find("models");
    if (models == provider->end() || !models->is_array() || models->empty()) {
      problems.push_back("the docker-model-runner provider lists no models");
    }
  }
  const auto* model = get(nlohmann::json::json_pointer("/agents/defaults/model"));
  std::string primary;
  if (model != nullptr && model->is_string()) primary = model->get<std::string>();
  if (model != nullptr && model->is_object()) primary = model->value("primary", std::string());
  if (primary.rfind(std::string(provider_id) + "/", 0) != 0) {
    problems.push_back("agents.defaults.model.primary is \"" + primary + "\", not a docker-model-runner/ model");
  }
  const auto* mode = get(nlohmann::json::json_pointer("/gateway/mode"));
  if (mode != nullptr && *mode != "local") problems.push_back("gateway.mode is " + mode->dump() + ", not \"local\"");
  return problems;
}

}  // namespace mrb::setup
