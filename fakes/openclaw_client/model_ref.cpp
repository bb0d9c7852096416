#include "model_ref.hpp"

namespace fakes::openclaw {

namespace {

model_ref_result
failed(std::string why)
{
    model_ref_result r;
    r.error = std::move(why);
    return r;
}

nlohmann::json const*
member(nlohmann::json const& j, char const* key)
{
    if (!j.is_object())
        return nullptr;
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
}

std::optional<std::int64_t>
positive_integer(nlohmann::json const* j)
{
    if (j != nullptr && j->is_number() && j->get<double>() > 0)
        return static_cast<std::int64_t>(j->get<double>());
    return std::nullopt;
}

}  // namespace

std::optional<std::pair<std::string, std::string>>
model_ref::split(std::string_view ref)
{
    auto const slash = ref.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == ref.size())
        return std::nullopt;
    return std::pair{std::string(ref.substr(0, slash)), std::string(ref.substr(slash + 1))};
}

model_ref_result
model_ref::resolve(nlohmann::json const& config)
{
    nlohmann::json const* agents = member(config, "agents");
    nlohmann::json const* defaults = agents ? member(*agents, "defaults") : nullptr;
    nlohmann::json const* model = defaults ? member(*defaults, "model") : nullptr;
    if (model == nullptr)
        return failed("agents.defaults.model is not set");

    std::string ref;
    if (model->is_string())
        ref = model->get<std::string>();
    else if (nlohmann::json const* primary = member(*model, "primary"); primary && primary->is_string())
        ref = primary->get<std::string>();
    else
        return failed("agents.defaults.model must be \"provider/model\" or {primary: \"provider/model\"}");

    auto parts = split(ref);
    if (!parts)
        return failed("model reference \"" + ref + "\" is not of the form provider/model");

    nlohmann::json const* models = member(config, "models");
    nlohmann::json const* providers = models ? member(*models, "providers") : nullptr;
    nlohmann::json const* provider = providers ? member(*providers, parts->first.c_str()) : nullptr;
    if (provider == nullptr || !provider->is_object())
        return failed("unknown provider \"" + parts->first + "\" (not in models.providers)");

    resolved_model r;
    r.provider_id = parts->first;
    r.model_id = parts->second;

    nlohmann::json const* base_url = member(*provider, "baseUrl");
    if (base_url == nullptr || !base_url->is_string() || base_url->get<std::string>().empty())
        return failed("provider \"" + r.provider_id + "\" has no baseUrl");
    r.base_url = base_url->get<std::string>();
    if (nlohmann::json const* key = member(*provider, "apiKey"); key && key->is_string())
        r.api_key = key->get<std::string>();
    if (nlohmann::json const* api = member(*provider, "api"); api && api->is_string())
        r.api = api->get<std::string>();
    if (r.api != "openai-completions")
        return failed("provider api \"" + r.api + "\" is not supported by fake-openclaw (only openai-completions)");
    if (nlohmann::json const* headers = member(*provider, "headers"); headers && headers->is_object())
        for (auto const& [name, value] : headers->items())
            if (value.is_string())
                r.extra_headers.emplace_back(name, value.get<std::string>());

    // The model must be declared by its provider: a configure tool that forgets the entry
    // should fail here as it does in OpenClaw's validation.
    nlohmann::json const* entry = nullptr;
    if (nlohmann::json const* list = member(*provider, "models"); list && list->is_array())
        for (auto const& m : *list)
            if (nlohmann::json const* id = member(m, "id"); id && id->is_string() && *id == r.model_id)
                entry = &m;
    if (entry == nullptr)
        return failed("unknown model \"" + r.model_id + "\" for provider \"" + r.provider_id + "\"");

    r.max_tokens = positive_integer(member(*entry, "maxTokens"));
    if (!r.max_tokens)
        r.max_tokens = positive_integer(member(*provider, "maxTokens"));
    if (nlohmann::json const* compat = member(*entry, "compat"))
        if (nlohmann::json const* field = member(*compat, "maxTokensField");
            field && field->is_string() && *field == "max_tokens")
            r.max_tokens_field = "max_tokens";

    model_ref_result result;
    result.model = std::move(r);
    return result;
}

}  // namespace fakes::openclaw
