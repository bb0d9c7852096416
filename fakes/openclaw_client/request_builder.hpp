#pragma once

#include "model_ref.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fakes::openclaw {

/// The exact bytes-to-be of one agent turn's request, before any socket is involved.
struct built_request
{
    std::string method = "POST";
    std::string target;        // origin-form, e.g. /engines/llama.cpp/v1/chat/completions
    std::string connect_host;  // from baseUrl
    std::string connect_port;
    std::vector<std::pair<std::string, std::string>> headers;  // in wire order, host first
    std::string body;
    std::string error;  // set when baseUrl cannot be used; the rest is then empty

    std::string header(std::string_view name) const;  // "" when absent
};

/// Builds what OpenClaw 2026.9.6 sends for one turn against an `openai-completions` provider
/// (reference: openclaw-client.md "What one agent turn sends"): the OpenAI/JS 7.15.0 header set
/// in its order, a ~22,000-character system prompt, the user text as array content, 11 function
/// tools, `tool_choice: "auto"`, `stream: true` with usage, and the token limit field.
class request_builder
{
public:
    static constexpr std::size_t system_prompt_chars = 22000;

    static std::string const& system_prompt();
    static nlohmann::ordered_json const& tools();
    static std::string make_traceparent(std::mt19937_64& rng);

    static nlohmann::ordered_json body(resolved_model const& model, std::string_view message);
    static built_request build(
        resolved_model const& model, std::string_view message, std::string_view traceparent);
};

}  // namespace fakes::openclaw
