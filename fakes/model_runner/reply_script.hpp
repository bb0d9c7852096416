#pragma once
// reply_script: decides, deterministically, what the fake "model" answers. Scripted replies are
// matched in order (model and/or a substring of the user's text); otherwise the default reply is
// derived from the prompt: "Echo: " + the first 16 words of the user's text (see user_text).
// A reply is split into "tokens" (word pieces with their leading space), one SSE content chunk
// each; max_completion_tokens / max_tokens cut it with finish_reason "length".

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace fakes::model_runner {

struct tool_call_reply
{
    std::string name;
    std::string arguments;  ///< JSON text, streamed in pieces
    std::string id;         ///< "call_<n>" if empty
};

struct scripted_reply
{
    std::string model;            ///< normalised model name; empty = any
    std::string prompt_contains;  ///< substring of user_text(); empty = any
    std::string text;
    std::optional<tool_call_reply> tool_call;
    std::size_t repeat = 1;       ///< the text's tokens are sent this many times (big replies)
};

/// What to send back for one request.
struct planned_reply
{
    std::vector<std::string> pieces;   ///< content tokens (one repetition)
    std::size_t repeat = 1;            ///< pieces are sent this many times in a row
    std::optional<tool_call_reply> tool_call;
    std::string finish_reason = "stop";
    int prompt_tokens = 0;
    int completion_tokens = 0;
};

class reply_script
{
public:
    explicit reply_script(std::vector<scripted_reply> replies = {});

    /// `request` is the parsed chat (or completions) body; `model` the normalised model name.
    planned_reply plan(const nlohmann::json& request, const std::string& model) const;

    /// What the person typed: the last user message that is not an OpenClaw internal-context
    /// block (its text starts with <<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>); a string, or the
    /// "text" parts of array content joined by "\n". When OpenClaw shaped it (a `Runtime: ...`
    /// last line or part, or an internal-context block after it), that line and OpenClaw's
    /// leading "[<weekday> YYYY-MM-DD HH:MM <zone>] " stamp are removed. With only
    /// internal-context blocks, the last of them. For /v1/completions the "prompt".
    static std::string user_text(const nlohmann::json& request);

    /// Splits text into tokens: each word with its leading whitespace.
    static std::vector<std::string> tokenize(const std::string& text);

    /// A rough, deterministic prompt token count: message and tool bytes / 4, at least 1.
    static int count_prompt_tokens(const nlohmann::json& request);

private:
    std::vector<scripted_reply> replies_;
};

scripted_reply scripted_reply_from_json(const nlohmann::json& j);

} // namespace fakes::model_runner
