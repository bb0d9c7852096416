#pragma once

#include "model_ref.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
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

/// Per-turn facts OpenClaw writes into the person's message. The defaults are fixed so that a
/// body built without them is reproducible; fake-openclaw fills in the clock and a session id.
struct turn_facts
{
    std::string timestamp = "Thu 2026-01-01 00:00 UTC";  // "[<this>] " prefixes the text; "" = none
    std::string session_id = "00000000-0000-4000-8000-000000000000";
    std::string host = "sandbox";
    std::string os = "Linux 6.10.14 (x64)";
    std::string node = "v24.21.0";  // as x-stainless-runtime-version
};

/// OpenClaw's markers around its per-turn internal context (src/agents/internal-runtime-context.ts).
inline constexpr std::string_view internal_context_begin = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";
inline constexpr std::string_view internal_context_end = "<<<END_OPENCLAW_INTERNAL_CONTEXT>>>";

/// Builds what OpenClaw 2026.9.6 (`openclaw agent exec`) sends for one turn against an
/// `openai-completions` provider (reference: openclaw-client.md "What one agent turn sends"): the
/// OpenAI/JS 7.15.0 header set in its order, and a ~33 kB body: messages `system` (~22,000
/// characters), `user` with string content (the timestamped text, a blank line, the `Runtime:`
/// line), `user` with array content (the internal-context block); 11 function tools sorted by
/// name; `tool_choice: "auto"`, `stream: true` with usage, and the token limit field.
class request_builder
{
public:
    static constexpr std::size_t system_prompt_chars = 22335;  // as measured

    static std::string system_prompt(std::string const& model_label);  // "provider/model"
    static nlohmann::ordered_json const& tools();
    static std::string make_traceparent(std::mt19937_64& rng);
    static std::string make_session_id(std::mt19937_64& rng);
    static std::string format_timestamp(std::chrono::system_clock::time_point t);
    /// The first user message: "[timestamp] message\n\nRuntime: agent=main | ...".
    static std::string user_text(
        resolved_model const& model, std::string_view message, turn_facts const& facts);
    /// The text of the second user message, between the internal-context markers.
    static std::string internal_context();

    static nlohmann::ordered_json body(
        resolved_model const& model, std::string_view message, turn_facts const& facts = {});
    static built_request build(resolved_model const& model, std::string_view message,
        std::string_view traceparent, turn_facts const& facts = {});
};

}  // namespace fakes::openclaw
