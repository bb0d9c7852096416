#pragma once
// Docker Model Runner's model-name normalisation (pkg/distribution normalizeModelName):
//   no '/' (no namespace)   -> "ai/" prefix          smollm2        -> ai/smollm2:latest
//   no tag after last '/'   -> ":latest"
//   name part lower-cased, tag kept                  ai/Qwen2.5:7B-Q4_K_M -> ai/qwen2.5:7B-Q4_K_M
//   "hf.co/" prefix         -> "huggingface.co/"
//   IDs ("sha256:<hex>", 12 or 64 hex chars) are returned unchanged (resolved by the catalogue).

#include <string>
#include <string_view>

namespace fakes::model_runner {

std::string normalize_model_name(std::string_view name);

/// True for "sha256:<64 hex>", or a bare 12- or 64-character hex ID.
bool looks_like_model_id(std::string_view name);

} // namespace fakes::model_runner
