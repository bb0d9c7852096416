#include "sse_writer.hpp"

#include <nlohmann/json.hpp>

namespace fakes::model_runner {

using ojson = nlohmann::ordered_json;

namespace {

// The whole reply text, as the non-streamed answers carry it (pieces times `repeat`).
std::string
full_text(const planned_reply& reply)
{
    std::string text;
    for(std::size_t r = 0; r < reply.repeat; ++r)
        for(const auto& p : reply.pieces)
            text += p;
    return text;
}

std::string
json_quote(std::string_view s)
{
    return ojson(std::string(s)).dump();
}

} // namespace

sse_writer::sse_writer(stream_context ctx)
    : ctx_(std::move(ctx))
{
    // The fields after "choices" are the same in every chunk: build them once per stream.
    common_ = ",\"created\":" + std::to_string(ctx_.created) + ",\"id\":" + json_quote(ctx_.id) +
              ",\"model\":" + json_quote(ctx_.model) + ",\"system_fingerprint\":" + json_quote(ctx_.system_fingerprint) +
              ",\"object\":\"chat.completion.chunk\"";
}

std::string
sse_writer::event(std::string_view json)
{
    std::string out;
    out.reserve(json.size() + 8);
    out += "data: ";
    out += json;
    out += "\n\n";
    return out;
}

std::string
sse_writer::timestamp_comment(std::int64_t unix_micros)
{
    return ": t=" + std::to_string(unix_micros) + "\n";
}

std::string
sse_writer::chunk_json(std::string_view choices_json, std::string_view tail_json) const
{
    std::string out;
    out.reserve(choices_json.size() + common_.size() + tail_json.size() + 16);
    out += "{\"choices\":";
    out += choices_json;
    out += common_;
    out += tail_json;
    out += '}';
    return out;
}

std::string
sse_writer::role_chunk() const
{
    return event(chunk_json(R"([{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}])"));
}

std::string
sse_writer::content_chunk(std::string_view text) const
{
    return event(chunk_json(R"([{"finish_reason":null,"index":0,"delta":{"content":)" + json_quote(text) + "}}]"));
}

std::string
sse_writer::tool_call_start(int index, const std::string& id, const std::string& name) const
{
    ojson tc;
    tc["index"] = index;
    tc["id"] = id;
    tc["type"] = "function";
    tc["function"] = {{"name", name}, {"arguments", ""}};
    ojson choice;
    choice["finish_reason"] = nullptr;
    choice["index"] = 0;
    choice["delta"] = {{"tool_calls", ojson::array({tc})}};
    return event(chunk_json(ojson::array({choice}).dump()));
}

std::string
sse_writer::tool_call_arguments(int index, std::string_view arguments) const
{
    ojson tc;
    tc["index"] = index;
    tc["function"] = {{"arguments", std::string(arguments)}};
    ojson choice;
    choice["finish_reason"] = nullptr;
    choice["index"] = 0;
    choice["delta"] = {{"tool_calls", ojson::array({tc})}};
    return event(chunk_json(ojson::array({choice}).dump()));
}

std::string
sse_writer::usage_json(int prompt_tokens, int completion_tokens) const
{
    ojson u;
    u["completion_tokens"] = completion_tokens;
    u["prompt_tokens"] = prompt_tokens;
    u["total_tokens"] = completion_tokens + prompt_tokens;
    // Older builds (the on_finish placement) predate prompt_tokens_details.
    if(ctx_.placement == usage_placement::separate_chunk)
        u["prompt_tokens_details"] = {{"cached_tokens", 0}};
    return u.dump();
}

std::string
sse_writer::timings_json(int prompt_tokens, int completion_tokens) const
{
    // Deterministic "timings": 0.5 ms per prompt token, 10 ms per generated token.
    double prompt_ms = prompt_tokens * 0.5;
    double predicted_ms = completion_tokens * 10.0;
    ojson t;
    t["cache_n"] = 0;
    t["prompt_n"] = prompt_tokens;
    t["prompt_ms"] = prompt_ms;
    t["prompt_per_token_ms"] = 0.5;
    t["prompt_per_second"] = 2000.0;
    t["predicted_n"] = completion_tokens;
    t["predicted_ms"] = predicted_ms;
    t["predicted_per_token_ms"] = 10.0;
    t["predicted_per_second"] = 100.0;
    return t.dump();
}

std::string
sse_writer::finish_chunk(std::string_view finish_reason, int prompt_tokens, int completion_tokens) const
{
    std::string choices = R"([{"finish_reason":)" + json_quote(finish_reason) + R"(,"index":0,"delta":{}}])";
    std::string tail;
    if(ctx_.placement == usage_placement::on_finish_chunk)
        tail = ",\"usage\":" + usage_json(prompt_tokens, completion_tokens) +
               ",\"timings\":" + timings_json(prompt_tokens, completion_tokens);
    else if(!ctx_.include_usage)
        tail = ",\"timings\":" + timings_json(prompt_tokens, completion_tokens);
    return event(chunk_json(choices, tail));
}

std::string
sse_writer::usage_chunk(int prompt_tokens, int completion_tokens) const
{
    return event(chunk_json("[]", ",\"usage\":" + usage_json(prompt_tokens, completion_tokens) +
                                      ",\"timings\":" + timings_json(prompt_tokens, completion_tokens)));
}

std::vector<std::string>
sse_writer::chat_stream(const planned_reply& reply) const
{
    std::vector<std::string> out;
    out.reserve(reply.pieces.size() + 8);
    out.push_back(role_chunk());
    for(const auto& p : reply.pieces)
        out.push_back(content_chunk(p));
    if(reply.tool_call)
    {
        const auto& tc = *reply.tool_call;
        out.push_back(tool_call_start(0, tc.id.empty() ? "call_0" : tc.id, tc.name));
        // Arguments arrive in small pieces, as a model generates them.
        constexpr std::size_t piece = 8;
        for(std::size_t off = 0; off < tc.arguments.size(); off += piece)
            out.push_back(tool_call_arguments(0, std::string_view(tc.arguments).substr(off, piece)));
    }
    out.push_back(finish_chunk(reply.finish_reason, reply.prompt_tokens, reply.completion_tokens));
    if(ctx_.placement == usage_placement::separate_chunk && ctx_.include_usage)
        out.push_back(usage_chunk(reply.prompt_tokens, reply.completion_tokens));
    out.emplace_back(done_event);
    return out;
}

std::string
sse_writer::chat_completion(const planned_reply& reply) const
{
    std::string const text = full_text(reply);
    ojson message;
    message["role"] = "assistant";
    if(text.empty() && reply.tool_call)
        message["content"] = nullptr;
    else
        message["content"] = text;
    if(reply.tool_call)
    {
        ojson tc;
        tc["type"] = "function";
        tc["function"] = {{"name", reply.tool_call->name}, {"arguments", reply.tool_call->arguments}};
        tc["id"] = reply.tool_call->id.empty() ? "call_0" : reply.tool_call->id;
        message["tool_calls"] = ojson::array({tc});
    }
    ojson choice;
    choice["finish_reason"] = reply.finish_reason;
    choice["index"] = 0;
    choice["message"] = message;
    ojson res;
    res["choices"] = ojson::array({choice});
    res["created"] = ctx_.created;
    res["model"] = ctx_.model;
    res["system_fingerprint"] = ctx_.system_fingerprint;
    res["object"] = "chat.completion";
    res["usage"] = ojson::parse(usage_json(reply.prompt_tokens, reply.completion_tokens));
    res["id"] = ctx_.id;
    res["timings"] = ojson::parse(timings_json(reply.prompt_tokens, reply.completion_tokens));
    return res.dump();
}

std::vector<std::string>
sse_writer::text_stream(const planned_reply& reply) const
{
    std::string common = ",\"created\":" + std::to_string(ctx_.created) + ",\"model\":" + json_quote(ctx_.model) +
                         ",\"system_fingerprint\":" + json_quote(ctx_.system_fingerprint) +
                         ",\"object\":\"text_completion\",\"id\":" + json_quote(ctx_.id);
    std::vector<std::string> out;
    for(const auto& p : reply.pieces)
        out.push_back(event(R"({"choices":[{"text":)" + json_quote(p) + R"(,"index":0,"logprobs":null,"finish_reason":null}])" + common + "}"));
    out.push_back(event(R"({"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":)" + json_quote(reply.finish_reason) + "}]" +
                        common + ",\"usage\":" + usage_json(reply.prompt_tokens, reply.completion_tokens) + "}"));
    out.emplace_back(done_event);
    return out;
}

std::string
sse_writer::text_completion(const planned_reply& reply) const
{
    std::string const text = full_text(reply);
    ojson choice;
    choice["text"] = text;
    choice["index"] = 0;
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = reply.finish_reason;
    ojson res;
    res["choices"] = ojson::array({choice});
    res["created"] = ctx_.created;
    res["model"] = ctx_.model;
    res["system_fingerprint"] = ctx_.system_fingerprint;
    res["object"] = "text_completion";
    res["usage"] = ojson::parse(usage_json(reply.prompt_tokens, reply.completion_tokens));
    res["id"] = ctx_.id;
    return res.dump();
}

} // namespace fakes::model_runner
