#pragma once
// sse_writer: llama.cpp server's OpenAI-compatible output, to the byte (nlohmann ordered_json,
// key order as llama.cpp's server-task.cpp builds it). Streaming events are
// "data: <json>\n\n"; the stream is role chunk, content (or tool-call) chunks, the finish
// chunk, the usage chunk, then "data: [DONE]\n\n". Usage placement is a switch:
//   separate_chunk   newer llama.cpp: only with stream_options.include_usage, a last chunk with
//                    "choices":[] and "usage" (with prompt_tokens_details); timings on the last
//   on_finish_chunk  older builds (b6097): usage and timings on the finish_reason chunk, always
// The optional timestamp is an SSE comment line ": t=<unix micros>\n" put before an event, so
// the JSON stays llama.cpp's and clients ignore it.

#include "reply_script.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fakes::model_runner {

enum class usage_placement { separate_chunk, on_finish_chunk };

struct stream_context
{
    std::string id;                  ///< "chatcmpl-..."
    std::int64_t created = 0;        ///< unix seconds
    std::string model;               ///< as the client sent it
    std::string system_fingerprint = "b6097-9515c613";
    bool include_usage = false;      ///< stream_options.include_usage
    usage_placement placement = usage_placement::separate_chunk;
};

class sse_writer
{
public:
    explicit sse_writer(stream_context ctx);

    static std::string event(std::string_view json);
    static constexpr std::string_view done_event = "data: [DONE]\n\n";
    static std::string timestamp_comment(std::int64_t unix_micros);

    std::string role_chunk() const;
    std::string content_chunk(std::string_view text) const;
    std::string tool_call_start(int index, const std::string& id, const std::string& name) const;
    std::string tool_call_arguments(int index, std::string_view arguments) const;
    std::string finish_chunk(std::string_view finish_reason, int prompt_tokens, int completion_tokens) const;
    std::string usage_chunk(int prompt_tokens, int completion_tokens) const;

    /// Every event of a streamed chat completion, [DONE] included.
    std::vector<std::string> chat_stream(const planned_reply& reply) const;
    /// The body of a non-streamed chat completion.
    std::string chat_completion(const planned_reply& reply) const;

    /// /v1/completions (object "text_completion"), streamed and not.
    std::vector<std::string> text_stream(const planned_reply& reply) const;
    std::string text_completion(const planned_reply& reply) const;

private:
    std::string chunk_json(std::string_view choices_json, std::string_view tail_json = {}) const;
    std::string usage_json(int prompt_tokens, int completion_tokens) const;
    std::string timings_json(int prompt_tokens, int completion_tokens) const;

    stream_context ctx_;
    std::string common_;  ///< ,"created":..,"id":..,"model":..,"system_fingerprint":..,"object":"chat.completion.chunk"
};

} // namespace fakes::model_runner
