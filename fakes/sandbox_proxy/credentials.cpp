#include "credentials.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <cstdlib>

namespace fakes::sandbox_proxy {

const std::vector<provider>&
provider_table()
{
    // Header formats: Anthropic x-api-key and OpenAI/GitHub Bearer are documented for sbx;
    // the others follow each provider's public API (Google: x-goog-api-key).
    static const std::vector<provider> table{
        {"anthropic", {"ANTHROPIC_API_KEY"},
            {"api.anthropic.com", "console.anthropic.com", "claude.ai", "mcp-proxy.anthropic.com"},
            "x-api-key", "{key}"},
        {"openai", {"OPENAI_API_KEY"},
            {"api.openai.com", "openai.com", "chatgpt.com", "www.chatgpt.com"},
            "Authorization", "Bearer {key}"},
        {"github", {"GH_TOKEN", "GITHUB_TOKEN"},
            {"api.github.com", "github.com", "raw.githubusercontent.com", "gist.github.com",
                "copilot.github.com", "api.githubcopilot.com"},
            "Authorization", "Bearer {key}"},
        {"google", {"GEMINI_API_KEY", "GOOGLE_API_KEY"},
            {"generativelanguage.googleapis.com", "oauth2.googleapis.com",
                "aiplatform.googleapis.com", "vertexai.googleapis.com"},
            "x-goog-api-key", "{key}"},
        {"groq", {"GROQ_API_KEY"}, {"api.groq.com"}, "Authorization", "Bearer {key}"},
        {"mistral", {"MISTRAL_API_KEY"}, {"api.mistral.ai"}, "Authorization", "Bearer {key}"},
        {"openrouter", {"OPENROUTER_API_KEY"}, {"openrouter.ai"}, "Authorization",
            "Bearer {key}"},
        {"xai", {"XAI_API_KEY"}, {"api.x.ai"}, "Authorization", "Bearer {key}"},
    };
    return table;
}

credentials::credentials(env_lookup env, std::map<std::string, std::string> overrides)
{
    for(auto const& p : provider_table())
        for(auto const& var : p.env_vars)
        {
            if(auto it = overrides.find(var); it != overrides.end())
                keys_[var] = it->second;
            else if(env)
                if(auto v = env(var); v && !v->empty())
                    keys_[var] = *v;
        }
}

credentials::env_lookup
credentials::process_environment()
{
    return [](const std::string& name) -> std::optional<std::string> {
        if(const char* v = std::getenv(name.c_str()))
            return std::string(v);
        return std::nullopt;
    };
}

const provider*
credentials::provider_for(std::string_view host)
{
    for(auto const& p : provider_table())
        for(auto const& d : p.domains)
            if(boost::algorithm::iequals(d, host))
                return &p;
    return nullptr;
}

std::optional<std::string>
credentials::inject(std::string_view host, header_list& headers) const
{
    auto const* p = provider_for(host);
    if(!p)
        return std::nullopt;
    std::optional<std::string> key;
    for(auto const& var : p->env_vars)
        if(auto it = keys_.find(var); it != keys_.end())
        {
            key = it->second;
            break;
        }
    if(!key)
        return std::nullopt;

    // Whatever the sandbox sent as a key (`proxy-managed`, a stale key, ...) is removed, in
    // every header a client might have used for it.
    std::erase_if(headers, [](auto const& h) {
        return boost::algorithm::iequals(h.first, "authorization") ||
            boost::algorithm::iequals(h.first, "x-api-key") ||
            boost::algorithm::iequals(h.first, "x-goog-api-key");
    });
    auto value = p->format;
    value.replace(value.find("{key}"), 5, *key);
    headers.emplace_back(p->header, value);
    return p->name;
}

std::vector<std::string>
credentials::secrets() const
{
    std::vector<std::string> out;
    for(auto const& [var, value] : keys_)
        out.push_back(value);
    return out;
}

} // namespace fakes::sandbox_proxy
