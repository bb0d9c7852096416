#pragma once

#include <string_view>

namespace fakes::openclaw {

/// How a turn failed, in the terms of OpenClaw's reactions (openclaw-client.md).
enum class error_class
{
    none,
    connection_refused,  // connect() refused or unreachable
    connection_reset,    // reset or closed before the response was complete
    timed_out,           // the stream stalled (no bytes within the idle timeout) after the head
    agent_timeout,       // no response head before the agent deadline (default 600 s)
    http_status,         // a non-200 status
    stream_cut,          // the body ended cleanly but without a finish_reason
    bad_response,        // unparsable framing, not SSE, an SSE event that is not a chunk
    config_error,        // openclaw.json missing, not JSON5, or the model does not resolve
    key_cooldown,        // the inline key is disabled after a 401/403: nothing was sent
};

std::string_view to_string(error_class c);

}  // namespace fakes::openclaw
