#pragma once

#include "error_class.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace fakes::openclaw {

/// How a failed attempt's Retry-After header is treated.
enum class retry_after_rule
{
    ignored,
    wait,          // 429: wait as long as it says, silently (an hour for 3600)
    stops_window,  // 5xx: a Retry-After longer than the rest of the retry window ends the turn
};

/// What OpenClaw tells the user for one failure and how it keeps trying. Waits are in OpenClaw's
/// real milliseconds; the runner scales them by client_options::backoff_unit (1 s -> unit).
struct user_outcome
{
    std::string message;
    int exit_code = 0;
    /// OpenClaw's own attempts for a failure that keeps happening (1 = none repeated).
    int attempts = 1;
    /// Wait before attempt i+2 (size attempts - 1).
    std::vector<std::chrono::milliseconds> waits;
    /// undici resends a 421 once, at once, on a new connection, inside each OpenClaw attempt.
    bool undici_resend = false;
    /// 401/403: the provider's inline key is disabled for key_cooldown and the state is saved.
    bool key_cooldown = false;
    retry_after_rule retry_after = retry_after_rule::ignored;
    /// For retry_after_rule::stops_window: the length of the retry window.
    std::chrono::milliseconds window{0};
    bool network = false;

    bool retryable() const { return attempts > 1; }
};

/// Stands for "⚠️ <provider>/<model>" in a message; run_turn puts the resolved model in.
inline constexpr char const* model_placeholder = "\u26a0\ufe0f {model}";

/// How long a 401/403 disables the inline key (measured: about 30 s).
inline constexpr std::chrono::seconds key_cooldown{30};

/// The reaction table of docs/fake-openclaw.md (measured with OpenClaw 2026.9.6 against a capture
/// server, docs/reference/openclaw-client.md). `body` is the head of the error response body;
/// its OpenAI-style `error.message` is what OpenClaw quotes for the statuses it does not classify.
class user_messages
{
public:
    static user_outcome for_failure(error_class c, int http_status, std::string const& body);

    /// `error.message` of an OpenAI-style error body, or empty.
    static std::string error_message(std::string const& body);

    /// The text shown when the key is still cooling down (nothing is sent).
    static std::string cooldown_message(std::string const& provider, std::chrono::seconds left);
};

}  // namespace fakes::openclaw
