#include "user_messages.hpp"

#include <nlohmann/json.hpp>

namespace fakes::openclaw {

namespace {

using std::chrono::milliseconds;

// OpenClaw's waits between its own attempts, in real milliseconds. The totals are what was
// measured (docs/reference/openclaw-client.md): 8 requests over about 80-90 s for a 5xx or a
// timeout status, 7 for a network failure, 10 over about 150 s for a 429, 4 within about 1 s
// for a status it does not classify. The single waits are the observed ~1, 2, 3, 5-10, 10-20,
// 16-23, 30 s; within a range we take one value.
std::vector<milliseconds> const server_error_waits = {milliseconds(1000), milliseconds(2000),
    milliseconds(3000), milliseconds(7000), milliseconds(15000), milliseconds(20000), milliseconds(30000)};
std::vector<milliseconds> const network_waits(server_error_waits.begin(), server_error_waits.end() - 1);
std::vector<milliseconds> const rate_limit_waits = {milliseconds(1000), milliseconds(2000),
    milliseconds(4000), milliseconds(8000), milliseconds(15000), milliseconds(20000), milliseconds(30000),
    milliseconds(30000), milliseconds(40000)};
std::vector<milliseconds> const resubmit_waits = {milliseconds(250), milliseconds(250), milliseconds(250)};
constexpr milliseconds server_error_window{90000};

user_outcome
network(std::string message, int exit_code = 2)
{
    user_outcome o;
    o.message = std::move(message);
    o.exit_code = exit_code;
    o.attempts = static_cast<int>(network_waits.size()) + 1;
    o.waits = network_waits;
    o.network = true;
    return o;
}

user_outcome
once(std::string message, int exit_code = 1)
{
    user_outcome o;
    o.message = std::move(message);
    o.exit_code = exit_code;
    return o;
}

bool
contains(std::string const& s, char const* what)
{
    return s.find(what) != std::string::npos;
}

}  // namespace

std::string_view
to_string(error_class c)
{
    switch (c)
    {
    case error_class::none: return "none";
    case error_class::connection_refused: return "connection_refused";
    case error_class::connection_reset: return "connection_reset";
    case error_class::timed_out: return "timed_out";
    case error_class::agent_timeout: return "agent_timeout";
    case error_class::http_status: return "http_status";
    case error_class::stream_cut: return "stream_cut";
    case error_class::bad_response: return "bad_response";
    case error_class::config_error: return "config_error";
    case error_class::key_cooldown: return "key_cooldown";
    }
    return "unknown";
}

std::string
user_messages::error_message(std::string const& body)
{
    auto const j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object())
        return {};
    auto const e = j.find("error");
    if (e == j.end())
        return {};
    if (e->is_string())
        return e->get<std::string>();
    if (auto m = e->find("message"); e->is_object() && m != e->end() && m->is_string())
        return m->get<std::string>();
    return {};
}

std::string
user_messages::cooldown_message(std::string const& provider, std::chrono::seconds left)
{
    return "Inline API key for provider " + provider +
           " is temporarily disabled after an authentication failure (" + std::to_string(left.count()) +
           " s left); no request was sent.";
}

user_outcome
user_messages::for_failure(error_class c, int http_status, std::string const& body)
{
    auto const code = std::to_string(http_status);
    switch (c)
    {
    case error_class::none:
        return {};
    case error_class::connection_refused:
        return network("LLM request failed: connection refused by the provider endpoint.");
    case error_class::connection_reset:
        return network("LLM request failed: network connection was interrupted.");
    case error_class::timed_out:
    case error_class::stream_cut:
        // A close-delimited stream cut before finish_reason (and [DONE]) reads as a timeout.
        return network("LLM request timed out.");
    case error_class::bad_response:
        return network("LLM request failed: invalid response from the provider endpoint.");
    case error_class::agent_timeout:
        // The agent deadline covers the whole turn, so nothing is tried after it.
        return once("Request timed out before a response was generated.", 1);
    case error_class::config_error:
        return once("Invalid config: " + body, 1);
    case error_class::key_cooldown:
        return once(body, 1);
    case error_class::http_status:
        break;
    }

    user_outcome o;
    o.exit_code = 1;
    // A prompt over the model's context (llama.cpp: `request (N tokens) exceeds the available
    // context size (M tokens)`, type exceed_context_size_error). Measured 2026-12-05 with real
    // OpenClaw 2026.9.6 (its ~53 KB request against smollm2's 8192 tokens): 1 request, its
    // compaction finds nothing to compact in a short session, this text, exit 1. OpenClaw's own
    // rule is a table of patterns (context-overflow-tables.ts); the fake keeps llama.cpp's words.
    if (http_status == 400 && (contains(body, "exceed_context_size_error") ||
                               (contains(error_message(body), "context") && contains(error_message(body), "exceed"))))
        return once("Context overflow: prompt too large for the model. Try /reset (or /new) to start a fresh session, "
                    "or use a larger-context model.");
    if (http_status == 400 || http_status == 422)
        return once("LLM request failed: provider rejected the request schema or tool payload.");
    if (http_status == 401 || http_status == 403)
    {
        o = once(std::string(model_placeholder) + " request failed (authentication failed, HTTP " + code +
                 "). Re-authenticate the provider and try again.");
        o.key_cooldown = true;
        return o;
    }
    if (http_status == 404)
        return once("The selected model was not found by the provider. Check the model id or choose a different model.");
    // 504 was in this row in the table; real OpenClaw 2026.9.6 (ci/test-real-openclaw.sh,
    // 2026-11-28) treated it as a 5xx: "provider internal error", exit 1. 408/410 not re-measured.
    if (http_status == 408 || http_status == 410)
    {
        o.message = "request failed (request timed out, HTTP " + code + ")";
        o.exit_code = 2;
        o.attempts = static_cast<int>(server_error_waits.size()) + 1;
        o.waits = server_error_waits;
        return o;
    }
    if (http_status == 429)
    {
        // Our text is kept only when it reads like a rate-limit explanation.
        auto const ours = error_message(body);
        // Measured (ci/test-real-openclaw.sh): "⚠️ <our text>" when it names seconds or a quota.
        o.message = contains(ours, "seconds") || contains(ours, "quota") ? "\u26a0\ufe0f " + ours
                                                                        : "API rate limit reached";
        o.attempts = static_cast<int>(rate_limit_waits.size()) + 1;
        o.waits = rate_limit_waits;
        o.retry_after = retry_after_rule::wait;
        return o;
    }
    if (http_status >= 500)
    {
        o.message = std::string(model_placeholder) + " request failed (provider internal error, HTTP " + code +
                    "). This is usually temporary \u2014 try again shortly.";
        o.attempts = static_cast<int>(server_error_waits.size()) + 1;
        o.waits = server_error_waits;
        o.retry_after = retry_after_rule::stops_window;
        o.window = server_error_window;
        return o;
    }
    // Any other status OpenClaw does not classify (measured: 409, 413, 421, 424, 451): it
    // resubmits three times at once. Shown (measured 2026-11-28 with `openclaw agent --local`,
    // ci/test-real-openclaw.sh): only the status; our error.message reaches its log as rawError.
    o.message = std::string(model_placeholder) + " request failed (HTTP " + code + ").";
    o.attempts = static_cast<int>(resubmit_waits.size()) + 1;
    o.waits = resubmit_waits;
    o.undici_resend = http_status == 421;
    return o;
}

}  // namespace fakes::openclaw
