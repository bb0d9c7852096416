#include "chat_error.hpp"

#include "metrics.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace mrb {

std::optional<error_delivery> parse_error_delivery(std::string_view text) noexcept
{
    if (text == "status")
        return error_delivery::status;
    if (text == "chat")
        return error_delivery::chat;
    return std::nullopt;
}

std::string_view to_string(error_delivery mode) noexcept
{
    return mode == error_delivery::chat ? "chat" : "status";
}

bool chat_deliverable(failure what) noexcept
{
    return what == failure::proxy_denied || what == failure::proxy_auth_refused;
}

bool is_chat_completion_request(std::string_view method, std::string_view target) noexcept
{
    return method == "POST" && classify_route(target) == route_class::chat_completions;
}

// ---------------------------------------------------------------------------------------------

void stream_flag_scanner::feed(std::string_view bytes) noexcept
{
    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    while (p != end && !done())
    {
        if (in_string_)
        {
            if (!in_key_ && !escape_)
            {
                // Inside a value string: jump to the next quote or backslash.
                const char* q = p;
                while (q != end && *q != '"' && *q != '\\')
                    ++q;
                p = q;
                if (p == end)
                    break;
            }
            const char c = *p++;
            if (escape_)
            {
                escape_ = false;
                key_plain_ = false;
                continue;
            }
            if (c == '\\')
            {
                escape_ = true;
                continue;
            }
            if (c == '"')
            {
                in_string_ = false;
                if (in_key_)
                {
                    in_key_ = false;
                    key_closed_ = true;
                }
                continue;
            }
            if (key_len_ < sizeof key_)
                key_[key_len_] = c;
            else
                key_plain_ = false;
            ++key_len_;
            continue;
        }
        on_structural(*p++);
    }
}

void stream_flag_scanner::on_structural(char c) noexcept
{
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        return;
    if (depth_ == 0)
    {
        // Before the body's one value: it must be an object.
        if (c != '{')
        {
            failed_ = true;
            return;
        }
        depth_ = 1;
        expect_key_ = true;
        return;
    }
    if (depth_ == 1 && want_value_)
    {
        // The value of "stream": a literal; anything else is not a flag the bridge can trust.
        want_value_ = false;
        if (c == 't' || c == 'f' || c == 'n')
        {
            known_ = true;
            value_ = c == 't';
        }
        else
            failed_ = true;
        return;
    }
    switch (c)
    {
    case '"':
        in_string_ = true;
        if (depth_ == 1 && expect_key_)
        {
            expect_key_ = false;
            in_key_ = true;
            key_len_ = 0;
            key_plain_ = true;
        }
        return;
    case ':':
        if (depth_ == 1 && key_closed_)
        {
            key_closed_ = false;
            want_value_ = key_plain_ && key_len_ == 6 && std::memcmp(key_, "stream", 6) == 0;
        }
        return;
    case ',':
        if (depth_ == 1)
            expect_key_ = true;
        return;
    case '{':
    case '[':
        ++depth_;
        return;
    case '}':
    case ']':
        if (--depth_ == 0)
        {
            // The object closed without "stream": OpenAI's default is not streamed.
            known_ = true;
            value_ = false;
        }
        return;
    default:
        return; // numbers and literals of other members
    }
}

// ---------------------------------------------------------------------------------------------

std::string chat_error_text(const error_reply& reply)
{
    std::string text = "\u26a0\ufe0f " + reply.message;
    if (!reply.fix.empty())
        text += "\n\nFix: " + reply.fix;
    text += "\n\n(This answer comes from model-runner-bridge, not from the model. "
            "`model-runner-bridge doctor` checks the chain again.)";
    return text;
}

chat_error_response make_chat_error_response(const error_reply& reply, bool stream, std::int64_t created_unix)
{
    using oj = nlohmann::ordered_json;
    const std::string id = "chatcmpl-model-runner-bridge-" + reply.code;
    const std::string model = "model-runner-bridge";
    const std::string text = chat_error_text(reply);
    const oj usage = {{"completion_tokens", 0}, {"prompt_tokens", 0}, {"total_tokens", 0}};
    const auto dump = [](const oj& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
    if (!stream)
    {
        const oj body = {{"id", id},
                         {"object", "chat.completion"},
                         {"created", created_unix},
                         {"model", model},
                         {"choices", oj::array({{{"index", 0},
                                                 {"message", {{"role", "assistant"}, {"content", text}}},
                                                 {"finish_reason", "stop"}}})},
                         {"usage", usage}};
        return {"application/json", dump(body)};
    }
    const auto chunk = [&](oj choices) {
        return oj{{"id", id},
                  {"object", "chat.completion.chunk"},
                  {"created", created_unix},
                  {"model", model},
                  {"choices", std::move(choices)}};
    };
    std::string body;
    const auto event = [&](const oj& j) { body += "data: " + dump(j) + "\n\n"; };
    event(chunk(oj::array({{{"index", 0},
                             {"delta", {{"role", "assistant"}, {"content", text}}},
                             {"finish_reason", nullptr}}})));
    event(chunk(oj::array({{{"index", 0}, {"delta", oj::object()}, {"finish_reason", "stop"}}})));
    auto last = chunk(oj::array());
    last["usage"] = usage;
    event(last);
    body += "data: [DONE]\n\n";
    return {"text/event-stream", std::move(body)};
}

} // namespace mrb
