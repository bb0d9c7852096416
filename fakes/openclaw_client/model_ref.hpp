#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fakes::openclaw {

/// A model as one agent turn uses it, resolved from openclaw.json.
struct resolved_model
{
    std::string provider_id;  // "docker-model-runner"
    std::string model_id;     // "ai/qwen2.5:7B-Q4_K_M"
    std::string base_url;
    std::string api_key;
    std::string api = "openai-completions";
    std::optional<std::int64_t> max_tokens;
    std::string max_tokens_field = "max_completion_tokens";  // compat.maxTokensField
    std::vector<std::pair<std::string, std::string>> extra_headers;  // provider `headers`
};

struct model_ref_result
{
    std::optional<resolved_model> model;
    std::string error;  // why it could not be resolved, when model is empty
};

/// Resolves `agents.defaults.model` (a "provider/model" string or `{primary: ...}`) against
/// `models.providers`. The reference is split on the first '/' only, because model ids
/// themselves carry '/' and ':'.
class model_ref
{
public:
    /// {provider, model}; nullopt when there is no '/' or either side is empty.
    static std::optional<std::pair<std::string, std::string>> split(std::string_view ref);

    static model_ref_result resolve(nlohmann::json const& config);
};

}  // namespace fakes::openclaw
