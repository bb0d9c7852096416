#include "sandbox_proxy/credentials.hpp"

#include <gtest/gtest.h>

namespace fakes::sandbox_proxy {
namespace {

credentials::env_lookup
env_of(std::map<std::string, std::string> vars)
{
    return [vars](const std::string& name) -> std::optional<std::string> {
        if(auto it = vars.find(name); it != vars.end())
            return it->second;
        return std::nullopt;
    };
}

TEST(credentials, openai_key_replaces_whatever_was_sent)
{
    credentials c(env_of({{"OPENAI_API_KEY", "sk-real"}}));
    header_list h{{"Host", "api.openai.com"}, {"authorization", "Bearer proxy-managed"},
        {"Content-Type", "application/json"}};
    EXPECT_EQ(c.inject("api.openai.com", h), "openai");
    EXPECT_EQ(h, (header_list{{"Host", "api.openai.com"}, {"Content-Type", "application/json"},
        {"Authorization", "Bearer sk-real"}}));
}

TEST(credentials, anthropic_key_goes_in_x_api_key)
{
    credentials c(env_of({{"ANTHROPIC_API_KEY", "sk-ant-real"}}));
    header_list h{{"X-Api-Key", "sk-ant-oat01-proxy-managed"}, {"anthropic-version", "2023-06-01"}};
    EXPECT_EQ(c.inject("api.anthropic.com", h), "anthropic");
    EXPECT_EQ(h, (header_list{{"anthropic-version", "2023-06-01"}, {"x-api-key", "sk-ant-real"}}));
}

TEST(credentials, key_is_injected_even_when_none_was_sent)
{
    credentials c(env_of({{"GROQ_API_KEY", "gsk"}}));
    header_list h{{"Host", "api.groq.com"}};
    EXPECT_EQ(c.inject("api.groq.com", h), "groq");
    EXPECT_EQ(h.back(), (std::pair<std::string, std::string>{"Authorization", "Bearer gsk"}));
}

TEST(credentials, every_documented_domain_maps_to_its_provider)
{
    struct row { const char* host; const char* provider; };
    for(auto const& r : {row{"api.anthropic.com", "anthropic"}, row{"console.anthropic.com", "anthropic"},
            row{"claude.ai", "anthropic"}, row{"mcp-proxy.anthropic.com", "anthropic"},
            row{"api.openai.com", "openai"}, row{"openai.com", "openai"},
            row{"chatgpt.com", "openai"}, row{"www.chatgpt.com", "openai"},
            row{"api.github.com", "github"}, row{"raw.githubusercontent.com", "github"},
            row{"generativelanguage.googleapis.com", "google"}, row{"api.groq.com", "groq"},
            row{"api.mistral.ai", "mistral"}, row{"openrouter.ai", "openrouter"},
            row{"api.x.ai", "xai"}})
    {
        auto const* p = credentials::provider_for(r.host);
        ASSERT_NE(p, nullptr) << r.host;
        EXPECT_EQ(p->name, r.provider) << r.host;
    }
}

TEST(credentials, nothing_for_localhost_model_runner_or_other_hosts)
{
    credentials c(env_of({{"OPENAI_API_KEY", "sk-real"}, {"ANTHROPIC_API_KEY", "a"}}));
    for(auto const* host : {"localhost", "127.0.0.1", "::1", "host.docker.internal",
            "model-runner.docker.internal", "example.com", "evil.api.openai.com"})
    {
        header_list h{{"Authorization", "Bearer not-needed"}};
        EXPECT_EQ(c.inject(host, h), std::nullopt) << host;
        EXPECT_EQ(h, (header_list{{"Authorization", "Bearer not-needed"}})) << host;
    }
}

TEST(credentials, no_key_configured_leaves_the_request_alone)
{
    credentials c(env_of({}));
    header_list h{{"Authorization", "Bearer proxy-managed"}};
    EXPECT_EQ(c.inject("api.openai.com", h), std::nullopt);
    EXPECT_EQ(h.size(), 1u);
}

TEST(credentials, overrides_win_over_the_environment_and_first_var_wins)
{
    credentials c(env_of({{"OPENAI_API_KEY", "from-env"}, {"GITHUB_TOKEN", "gh2"}}),
        {{"OPENAI_API_KEY", "from-config"}, {"GH_TOKEN", "gh1"}});
    header_list h;
    c.inject("api.openai.com", h);
    EXPECT_EQ(h.back().second, "Bearer from-config");
    header_list g;
    c.inject("api.github.com", g);
    EXPECT_EQ(g.back().second, "Bearer gh1");
    auto s = c.secrets();
    EXPECT_NE(std::find(s.begin(), s.end(), "from-config"), s.end());
}

} // namespace
} // namespace fakes::sandbox_proxy
