#pragma once

#include "sse_reader.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace fakes::openclaw {

/// Folds the SSE events of a streamed chat completion into what OpenClaw keeps: the text, the
/// finish_reason, the usage, whether `[DONE]` came, and whether an event was not a valid chunk.
class chat_stream
{
public:
    /// Consumes one event; returns the assistant text it adds (often empty).
    std::string on_event(sse_event const& e);

    std::string const& text() const { return text_; }
    std::string const& finish_reason() const { return finish_reason_; }
    nlohmann::json const& usage() const { return usage_; }  // null when none came
    bool done() const { return done_; }
    int chunks() const { return chunks_; }
    int tool_call_deltas() const { return tool_call_deltas_; }
    /// Non-empty once an event could not be read as a chat.completion.chunk.
    std::string const& error() const { return error_; }

private:
    std::string text_;
    std::string finish_reason_;
    nlohmann::json usage_;
    bool done_ = false;
    int chunks_ = 0;
    int tool_call_deltas_ = 0;
    std::string error_;
};

}  // namespace fakes::openclaw
