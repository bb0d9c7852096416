#include "model_name.hpp"
#include "model_catalog.hpp"

#include <gtest/gtest.h>

using namespace fakes::model_runner;

TEST(model_name, normalises_as_dmr_does)
{
    EXPECT_EQ(normalize_model_name("smollm2"), "ai/smollm2:latest");
    EXPECT_EQ(normalize_model_name("ai/smollm2"), "ai/smollm2:latest");
    EXPECT_EQ(normalize_model_name("ai/smollm2:latest"), "ai/smollm2:latest");
    EXPECT_EQ(normalize_model_name("ai/Qwen2.5:7B-Q4_K_M"), "ai/qwen2.5:7B-Q4_K_M");
    EXPECT_EQ(normalize_model_name("SmolLM2:Q8"), "ai/smollm2:Q8");
    EXPECT_EQ(normalize_model_name("ai/gpt-oss:20B-UD-Q4_K_XL"), "ai/gpt-oss:20B-UD-Q4_K_XL");
    EXPECT_EQ(normalize_model_name("hf.co/bartowski/Llama-3"), "huggingface.co/bartowski/llama-3:latest");
    // A registry port is not a tag: the tag separator counts only after the last '/'.
    EXPECT_EQ(normalize_model_name("localhost:5000/me/model"), "localhost:5000/me/model:latest");
}

TEST(model_name, ids_are_left_alone)
{
    const std::string id = "sha256:" + std::string(64, 'a');
    EXPECT_TRUE(looks_like_model_id(id));
    EXPECT_EQ(normalize_model_name(id), id);
    EXPECT_TRUE(looks_like_model_id("0123456789ab"));
    EXPECT_FALSE(looks_like_model_id("smollm2"));
    EXPECT_FALSE(looks_like_model_id("sha256:xyz"));
}

TEST(model_catalog, finds_by_any_spelling_and_by_id)
{
    model_catalog c(model_catalog::default_models());
    ASSERT_EQ(c.models().size(), 2u);
    const auto* smol = c.find("smollm2");
    ASSERT_NE(smol, nullptr);
    EXPECT_EQ(smol->tags.front(), "ai/smollm2:latest");
    EXPECT_EQ(c.find("ai/SmolLM2:latest"), smol);
    EXPECT_EQ(c.find(smol->id), smol);
    EXPECT_EQ(c.find(smol->id.substr(7, 12)), smol);
    EXPECT_EQ(c.find("ai/qwen2.5:7b-q4_k_m"), nullptr) << "the tag keeps its case";
    EXPECT_NE(c.find("ai/qwen2.5:7B-Q4_K_M"), nullptr);
    EXPECT_EQ(c.find("ai/llama3"), nullptr);
    // GET /models/{name} falls back to a partial match on the repository.
    EXPECT_EQ(c.find_partial("ai/qwen2.5"), c.find("ai/qwen2.5:7B-Q4_K_M"));
    EXPECT_EQ(c.find_partial("qwen2.5"), c.find("ai/qwen2.5:7B-Q4_K_M"));
}

TEST(model_catalog, native_json_shape)
{
    model_info m;
    m.id = "sha256:" + std::string(64, 'b');
    m.tags = {"ai/smollm2"};
    m.created = 1742816981;
    m.quantization = "IQ2_XXS/Q4_K_M";
    m.parameters = "361.82 M";
    m.architecture = "llama";
    m.size = "256.35 MiB";
    m.context_size = 8192;
    model_catalog c({m});
    EXPECT_EQ(c.native_list().dump(),
              R"([{"id":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","tags":["ai/smollm2:latest"],)"
              R"("created":1742816981,"config":{"format":"gguf","quantization":"IQ2_XXS/Q4_K_M","parameters":"361.82 M",)"
              R"("architecture":"llama","size":"256.35 MiB","context_size":8192}}])");
}

TEST(model_catalog, openai_json_shape_and_omitempty)
{
    model_info m;
    m.tags = {"ai/smollm2:latest"};
    m.created = 5;
    m.parameters = "1 B";
    model_catalog c({m});
    EXPECT_EQ(c.openai_list().dump(),
              R"({"object":"list","data":[{"id":"ai/smollm2:latest","object":"model","created":5,"owned_by":"docker",)"
              R"("dmr":{"parameters":"1 B"}}]})");
    EXPECT_EQ(model_catalog({}).openai_list().dump(), R"({"object":"list","data":[]})");
    EXPECT_EQ(model_catalog({}).native_list().dump(), "[]");
    // Untagged: no "tags" key, the OpenAI id falls back to the ID.
    model_info untagged;
    untagged.id = "sha256:" + std::string(64, 'c');
    EXPECT_FALSE(model_catalog::native_json(untagged).contains("tags"));
    EXPECT_EQ(model_catalog::openai_json(untagged)["id"], untagged.id);
}

TEST(model_catalog, ids_are_derived_deterministically)
{
    model_catalog a(model_catalog::default_models());
    model_catalog b(model_catalog::default_models());
    EXPECT_EQ(a.models()[0].id, b.models()[0].id);
    EXPECT_NE(a.models()[0].id, a.models()[1].id);
    EXPECT_EQ(a.models()[0].id.size(), 7u + 64u);
}
