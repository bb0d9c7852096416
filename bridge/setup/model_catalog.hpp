#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mrb::setup {

/// One model the Model Runner has, with the metadata it reports (fields may be empty).
struct model_info {
  std::string id;                           ///< the first tag, e.g. "ai/smollm2:latest"
  std::optional<std::int64_t> context_window;
  std::string size;                         ///< "256.35 MiB"
  std::string quantization;
  std::string parameters;                   ///< "361.82 M"
  std::string architecture;
};

/// Reads the Model Runner's two model listings (sans-I/O): DMR's native `GET /models` (an array
/// of {id, tags, config{context_size, size, quantization, parameters, architecture}}) and the
/// OpenAI-style `GET /engines/v1/models` ({data:[{id, dmr{context_window, ...}}]}).
class model_catalog {
public:
  /// Throws nlohmann::json::exception on a shape that is not a Model Runner listing.
  static std::vector<model_info> from_native(const nlohmann::json& models);
  static std::vector<model_info> from_openai(const nlohmann::json& list);

  /// The OpenAI list's ids and order (what inference requests accept), with metadata the OpenAI
  /// list lacks filled in from the native list; native-only models are appended.
  static std::vector<model_info> combine(const std::vector<model_info>& openai, const std::vector<model_info>& native);

  /// DMR's own name normalisation: "smollm2" -> "ai/smollm2:latest" (no registry: "ai/";
  /// no tag: ":latest"; the name part lowercased, the tag kept).
  static std::string normalise(const std::string& name);

  /// The model whose id matches `wanted` as given or normalised, or nullptr.
  static const model_info* find(const std::vector<model_info>& models, const std::string& wanted);

  static nlohmann::ordered_json to_json(const std::vector<model_info>& models);
  /// A fixed-width table: MODEL, CONTEXT, SIZE, QUANTIZATION, PARAMETERS.
  static std::string to_table(const std::vector<model_info>& models);
};

}  // namespace mrb::setup
