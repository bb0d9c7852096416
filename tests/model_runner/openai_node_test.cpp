// The `openai` npm package as a client of fake-model-runner (label: node).
#include "fake_model_runner.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>

using namespace fakes::model_runner;

TEST(openai_node, lists_models_and_parses_plain_and_streamed_completions)
{
    runner_options o;
    o.token_interval = std::chrono::microseconds(500);
    fake_model_runner dmr(o);
    dmr.start();
    std::string cmd = "NODE_PATH='" MRB_NODE_MODULES "' timeout 60 node '" MRB_TEST_DIR "/openai_client.js' " +
                      std::to_string(dmr.port()) + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    std::array<char, 4096> buf{};
    while(auto n = std::fread(buf.data(), 1, buf.size(), p))
        out.append(buf.data(), n);
    int rc = ::pclose(p);
    ASSERT_EQ(rc, 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["models"], nlohmann::json::parse(R"(["ai/smollm2:latest","ai/qwen2.5:7B-Q4_K_M"])"));
    EXPECT_EQ(j["plain"]["content"], "Echo: hello plain");
    EXPECT_EQ(j["plain"]["finish"], "stop");
    EXPECT_EQ(j["plain"]["object"], "chat.completion");
    EXPECT_GT(j["plain"]["total_tokens"].get<int>(), 3);
    EXPECT_EQ(j["streamed"]["text"], "Echo: hello streamed world");
    EXPECT_EQ(j["streamed"]["finish"], "stop");
    EXPECT_EQ(j["streamed"]["chunks"], 1 + 4 + 1 + 1);
    EXPECT_GT(j["streamed"]["total_tokens"].get<int>(), 4);
    EXPECT_EQ(j["missing"]["status"], 404);
    EXPECT_NE(j["missing"]["message"].get<std::string>().find("model not found"), std::string::npos) << j["missing"];
    // What the SDK sent is what the fake recorded.
    auto reqs = dmr.requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].target, "/engines/llama.cpp/v1/models");
    bool ua = false;
    for(const auto& [k, v] : reqs[2].headers)
        ua = ua || (k == "user-agent" && v.starts_with("OpenAI/JS"));
    EXPECT_TRUE(ua);
}
