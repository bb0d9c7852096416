#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/setup/json5_document.hpp"
#include "bridge/setup/model_catalog.hpp"

namespace mrb::setup {

/// What `configure` writes into OpenClaw's config.
struct openclaw_settings {
  std::string base_url;             ///< http://<bridge listen>/engines/llama.cpp/v1
  std::vector<model_info> models;   ///< every model discovered, in order
  std::string primary;              ///< model id for agents.defaults.model.primary
  /// Replace a primary model the user already has (--set-primary, or --model given). Without
  /// it the primary is set only where there is none.
  bool set_primary = false;
  /// Set gateway.mode to "local" (--gateway-local); otherwise gateway.* is never touched.
  bool gateway_local = false;
};

/// Merges the Docker Model Runner provider into OpenClaw's openclaw.json (JSON5), sans-I/O:
/// text in, text out. Only the keys below are touched, everything else (comments, order,
/// layout, the user's other providers, model fallbacks, other gateway keys) stays as written:
///   models.mode = "merge"
///   models.providers["docker-model-runner"].{baseUrl, apiKey, api, models}
///   agents.defaults.model.primary = "docker-model-runner/<primary>"
///   gateway.mode = "local"
/// A second merge with the same settings returns the text unchanged.
class openclaw_config {
public:
  static constexpr const char* provider_id = "docker-model-runner";

  /// The merged text, or nullopt with `error` (line:column) if `text` is not usable JSON5.
  /// Empty or blank text counts as a new, empty config.
  static std::optional<std::string> merge(const std::string& text, const openclaw_settings& settings,
                                          json5_error& error);

  /// `http://<authority>/engines/llama.cpp/v1`
  static std::string base_url(const std::string& listen_authority);

  /// One provider model entry, with only keys OpenClaw accepts (it rejects unknown keys):
  /// id, name, reasoning, input, cost, and contextWindow/maxTokens when the context is known.
  static nlohmann::ordered_json model_entry(const model_info& model);

  /// Every changed leaf as "key.path: old -> new" ("(unset)" for a missing side); arrays are
  /// compared whole and shown compact, long values shortened.
  static std::vector<std::string> changes(const nlohmann::json& before, const nlohmann::json& after);

  /// Problems that stop OpenClaw from using the bridge (doctor); empty when the config is fine.
  static std::vector<std::string> check(const nlohmann::json& config, const std::string& base_url);
};

}  // namespace mrb::setup
