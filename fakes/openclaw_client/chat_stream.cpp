#include "chat_stream.hpp"

namespace fakes::openclaw {

std::string
chat_stream::on_event(sse_event const& e)
{
    if (e.is_comment || done_ || !error_.empty())
        return {};
    if (e.data.starts_with("[DONE]"))
    {
        done_ = true;
        return {};
    }
    auto j = nlohmann::json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object())
    {
        error_ = "SSE event is not JSON: " + e.data.substr(0, 200);
        return {};
    }
    if (auto err = j.find("error"); err != j.end())
    {
        // A mid-stream error object (llama.cpp style); the SDK throws on it.
        error_ = "error event: " + err->dump();
        return {};
    }
    ++chunks_;
    if (auto u = j.find("usage"); u != j.end() && u->is_object())
        usage_ = *u;
    std::string added;
    if (auto choices = j.find("choices"); choices != j.end() && choices->is_array())
    {
        for (auto const& choice : *choices)
        {
            if (!choice.is_object())
                continue;
            if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object())
            {
                if (auto content = delta->find("content");
                    content != delta->end() && content->is_string())
                    added += content->get<std::string>();
                if (auto calls = delta->find("tool_calls");
                    calls != delta->end() && calls->is_array())
                    tool_call_deltas_ += static_cast<int>(calls->size());
            }
            if (auto fr = choice.find("finish_reason"); fr != choice.end() && fr->is_string())
                finish_reason_ = fr->get<std::string>();
        }
    }
    else
    {
        error_ = "chunk without choices: " + e.data.substr(0, 200);
        return {};
    }
    text_ += added;
    return added;
}

}  // namespace fakes::openclaw
