#pragma once
// Failures the person at the agent must read: delivered as the assistant's reply.
//
// OpenClaw 2026.9.6 never shows a provider's error text: it renders every HTTP error as its own
// fixed sentence ("request failed (HTTP 451)", "usually temporary"...), by design
// (renderAssistantRequestFailureCopy: "without exposing raw provider response text"). A failure
// that lasts until the user acts (the proxy's policy denies the Model Runner, the proxy refuses
// the bridge's login) is useless without its fix, so with `--error-delivery chat` (the default)
// the bridge answers such a failure of a chat-completion request with a well-formed chat reply
// (200, SSE or JSON as the request asked) whose text is the message and the fix, marked by the
// header X-Model-Runner-Bridge-Error. OpenClaw shows it verbatim, sends the request once, locks no
// key, and the next turn after the fix goes through. Transient failures keep their 5xx so that
// OpenClaw's own retries ride out a restart. docs/bridge.md, "Statuses", has the table.

#include "core/bridge_config.hpp"
#include "core/error_reply.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mrb {

std::optional<error_delivery> parse_error_delivery(std::string_view text) noexcept;
std::string_view to_string(error_delivery mode) noexcept;

/// The failures the user must act on: the only ones worth a reply in the conversation.
bool chat_deliverable(failure what) noexcept;

/// A chat-completion request: POST to a path ending in /chat/completions (query ignored).
bool is_chat_completion_request(std::string_view method, std::string_view target) noexcept;

/// Finds the top-level `"stream"` member of a JSON request body fed in pieces, without parsing
/// the rest (OpenClaw puts it after ~33 KB of messages). Strings are skipped a run at a time.
/// A key written with escapes is not recognised; the first `stream` member wins.
class stream_flag_scanner
{
public:
    void feed(std::string_view bytes) noexcept;
    /// true/false once known: the member's value, or false when the object closed without it
    /// (the OpenAI default). Empty while unknown, and for a body that is not a JSON object or
    /// whose `stream` is not a literal.
    std::optional<bool> stream() const noexcept { return known_ ? std::optional<bool>(value_) : std::nullopt; }
    /// Nothing more can change the answer (known, or given up).
    bool done() const noexcept { return known_ || failed_; }

private:
    void on_structural(char c) noexcept;

    unsigned depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    bool expect_key_ = false;  ///< at depth 1, the next string is a member name
    bool in_key_ = false;      ///< reading a member name at depth 1
    bool key_closed_ = false;  ///< a member name ended; waiting for its ':'
    bool want_value_ = false;  ///< the member was "stream": its value comes next
    bool key_plain_ = true;    ///< the name had no escapes and fits key_
    unsigned key_len_ = 0;
    char key_[6] = {};
    bool known_ = false;
    bool value_ = false;
    bool failed_ = false;
};

/// Whether this failure of this request is answered as a chat reply.
constexpr bool deliver_as_chat(error_delivery mode, bool deliverable, bool chat_request,
                               std::optional<bool> stream) noexcept
{
    return mode == error_delivery::chat && deliverable && chat_request && stream.has_value();
}

/// The header that tells a program the chat reply is the bridge's error; its value is the code.
inline constexpr std::string_view chat_error_header = "X-Model-Runner-Bridge-Error";

/// What the person reads: the message (which names the hop and the fix) and where it came from.
std::string chat_error_text(const error_reply& reply);

struct chat_error_response
{
    std::string content_type; ///< text/event-stream or application/json
    std::string body;
};

/// A complete chat completion carrying chat_error_text(): for `stream`, the SSE chunks llama.cpp
/// sends (role+content, finish_reason "stop", usage, [DONE]); otherwise one chat.completion object.
chat_error_response make_chat_error_response(const error_reply& reply, bool stream, std::int64_t created_unix);

} // namespace mrb
