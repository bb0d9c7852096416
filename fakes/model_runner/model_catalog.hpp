#pragma once
// model_catalog: the models the fake "has pulled", and their JSON shapes exactly as DMR writes
// them (external-systems.md 2.4): the native Model for /models, the OpenAI object for
// /engines/v1/models (id = first tag, owned_by "docker", "dmr" metadata block).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fakes::model_runner {

struct model_info
{
    std::string id;                 ///< "sha256:<64 hex>"; derived from the first tag if empty
    std::vector<std::string> tags;  ///< normalised names; tags[0] is the OpenAI id
    std::int64_t created = 1742816981;
    std::string format = "gguf";
    std::string quantization;
    std::string parameters;
    std::string architecture;
    std::string size;
    std::int64_t context_size = 0;  ///< 0 = omitted
};

class model_catalog
{
public:
    /// The set used when none is configured: ai/smollm2:latest and ai/qwen2.5:7B-Q4_K_M.
    static std::vector<model_info> default_models();

    /// Normalises tags, fills missing IDs.
    explicit model_catalog(std::vector<model_info> models);

    const std::vector<model_info>& models() const { return models_; }

    /// Exact lookup: normalised name (a tag) or ID (full, bare hex, 12-char short).
    const model_info* find(std::string_view name) const;

    /// find() plus DMR's partial-name fallback used by GET /models/{name}
    /// ("smollm2" matches "ai/smollm2:latest" by repository name).
    const model_info* find_partial(std::string_view name) const;

    /// GET /models
    nlohmann::ordered_json native_list() const;
    static nlohmann::ordered_json native_json(const model_info& m);
    /// GET /engines/v1/models
    nlohmann::ordered_json openai_list() const;
    static nlohmann::ordered_json openai_json(const model_info& m);

private:
    std::vector<model_info> models_;
};

/// Reads a model from JSON: {"name"|"tags", "id", "created", "quantization", "parameters",
/// "architecture", "size", "context_size", "format"}; a bare string is just a name.
model_info model_from_json(const nlohmann::json& j);

} // namespace fakes::model_runner
