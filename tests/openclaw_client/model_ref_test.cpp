// Resolving agents.defaults.model against models.providers.
#include "model_ref.hpp"

#include <gtest/gtest.h>

namespace oc = fakes::openclaw;
using nlohmann::json;

namespace {

json
config(json model)
{
    return {{"agents", {{"defaults", {{"model", std::move(model)}}}}},
        {"models",
            {{"providers",
                {{"docker-model-runner",
                    {{"baseUrl", "http://127.0.0.1:54321/engines/llama.cpp/v1"},
                        {"apiKey", "not-needed"},
                        {"headers", {{"x-extra", "1"}}},
                        {"models",
                            json::array({{{"id", "ai/qwen2.5:7B-Q4_K_M"}, {"name", "Qwen"},
                                             {"maxTokens", 8192}},
                                {{"id", "ai/smollm2"}, {"name", "s"},
                                    {"compat", {{"maxTokensField", "max_tokens"}}}}})}}}}}}}};
}

}  // namespace

TEST(model_ref, splits_on_the_first_slash_only)
{
    auto const p = oc::model_ref::split("docker-model-runner/ai/qwen2.5:7B-Q4_K_M");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first, "docker-model-runner");
    EXPECT_EQ(p->second, "ai/qwen2.5:7B-Q4_K_M");
    EXPECT_FALSE(oc::model_ref::split("no-slash"));
    EXPECT_FALSE(oc::model_ref::split("/model"));
    EXPECT_FALSE(oc::model_ref::split("provider/"));
}

TEST(model_ref, resolves_string_and_primary_forms)
{
    for (json const& m : {json("docker-model-runner/ai/qwen2.5:7B-Q4_K_M"),
             json{{"primary", "docker-model-runner/ai/qwen2.5:7B-Q4_K_M"}, {"fallbacks", json::array()}}})
    {
        auto const r = oc::model_ref::resolve(config(m));
        ASSERT_TRUE(r.model) << r.error;
        EXPECT_EQ(r.model->provider_id, "docker-model-runner");
        EXPECT_EQ(r.model->model_id, "ai/qwen2.5:7B-Q4_K_M");
        EXPECT_EQ(r.model->base_url, "http://127.0.0.1:54321/engines/llama.cpp/v1");
        EXPECT_EQ(r.model->api_key, "not-needed");
        EXPECT_EQ(r.model->api, "openai-completions");  // the default when api is absent
        EXPECT_EQ(r.model->max_tokens, 8192);
        EXPECT_EQ(r.model->max_tokens_field, "max_completion_tokens");
        ASSERT_EQ(r.model->extra_headers.size(), 1u);
        EXPECT_EQ(r.model->extra_headers[0].first, "x-extra");
    }
}

TEST(model_ref, honours_compat_max_tokens_field)
{
    auto const r = oc::model_ref::resolve(config("docker-model-runner/ai/smollm2"));
    ASSERT_TRUE(r.model) << r.error;
    EXPECT_EQ(r.model->max_tokens_field, "max_tokens");
    EXPECT_FALSE(r.model->max_tokens);
}

TEST(model_ref, explains_what_does_not_resolve)
{
    EXPECT_NE(oc::model_ref::resolve(json::object()).error.find("agents.defaults.model"), std::string::npos);
    EXPECT_NE(oc::model_ref::resolve(config("other/ai/x")).error.find("unknown provider \"other\""),
        std::string::npos);
    EXPECT_NE(oc::model_ref::resolve(config("docker-model-runner/ai/missing")).error.find("unknown model"),
        std::string::npos);
    EXPECT_NE(oc::model_ref::resolve(config(42)).error.find("must be"), std::string::npos);
    auto c = config("docker-model-runner/ai/smollm2");
    c["models"]["providers"]["docker-model-runner"]["api"] = "anthropic-messages";
    EXPECT_NE(oc::model_ref::resolve(c).error.find("not supported"), std::string::npos);
    c["models"]["providers"]["docker-model-runner"].erase("baseUrl");
    EXPECT_NE(oc::model_ref::resolve(c).error.find("baseUrl"), std::string::npos);
}
