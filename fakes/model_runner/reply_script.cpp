#include "reply_script.hpp"

#include <cctype>
#include <optional>
#include <string_view>

namespace fakes::model_runner {

reply_script::reply_script(std::vector<scripted_reply> replies)
    : replies_(std::move(replies))
{
}

namespace {

// OpenClaw (2026.9.6) sends its per-turn runtime context as a user message of its own, after the
// person's message, wrapped in these markers (docs/reference/openclaw-client.md).
constexpr std::string_view internal_context_begin = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";
constexpr std::string_view runtime_prefix = "Runtime: ";

bool
is_internal_context(const std::string& text)
{
    auto p = text.find_first_not_of(" \t\r\n");
    return p != std::string::npos && text.compare(p, internal_context_begin.size(), internal_context_begin) == 0;
}

// OpenClaw moves its one-line `Runtime: ...` facts out of the system prompt to the end of the
// person's message: "\n\n" + the line for string content, an extra text part for array content.
bool
strip_runtime_line(std::string& text)
{
    auto nl = text.rfind("\n\n");
    if(nl == std::string::npos)
        return false;
    auto tail = std::string_view(text).substr(nl + 2);
    if(!tail.starts_with(runtime_prefix) || tail.find('\n') != std::string_view::npos)
        return false;
    text.erase(nl);
    return true;
}

// OpenClaw stamps the person's message "[Sat 2026-12-05 06:12 UTC] " (a bracket holding a
// date and time, then a space). Removed only from a message shaped by OpenClaw.
void
strip_timestamp(std::string& text)
{
    if(text.empty() || text.front() != '[')
        return;
    auto close = text.find("] ");
    if(close == std::string::npos)
        return;
    auto inside = std::string_view(text).substr(1, close - 1);
    auto digits = [&](std::size_t at, std::size_t n) {
        for(std::size_t i = at; i < at + n; ++i)
            if(i >= inside.size() || !std::isdigit(static_cast<unsigned char>(inside[i])))
                return false;
        return true;
    };
    for(std::size_t p = 0; p + 16 <= inside.size(); ++p)
        if(digits(p, 4) && inside[p + 4] == '-' && digits(p + 5, 2) && inside[p + 7] == '-' && digits(p + 8, 2) &&
           inside[p + 10] == ' ' && digits(p + 11, 2) && inside[p + 13] == ':' && digits(p + 14, 2))
        {
            text.erase(0, close + 2);
            return;
        }
}

// The text of one message's content; `openclaw` is set when OpenClaw's Runtime line was found
// (and removed).
std::string
content_text(const nlohmann::json& c, bool& openclaw)
{
    openclaw = false;
    if(c.is_string())
    {
        auto text = c.get<std::string>();
        openclaw = strip_runtime_line(text);
        return text;
    }
    std::vector<std::string> parts;
    if(c.is_array())
        for(const auto& part : c)
            if(part.is_object() && part.value("type", std::string()) == "text" && part.contains("text") &&
               part.at("text").is_string())
                parts.push_back(part.at("text").get<std::string>());
    // A last part that is only the Runtime line is OpenClaw's, unless it is all there is.
    if(parts.size() > 1 && parts.back().starts_with(runtime_prefix) && parts.back().find('\n') == std::string::npos)
    {
        parts.pop_back();
        openclaw = true;
    }
    std::string out;
    for(const auto& t : parts)
    {
        if(!out.empty())
            out += '\n';
        out += t;
    }
    return out;
}

} // namespace

std::string
reply_script::user_text(const nlohmann::json& request)
{
    if(request.contains("prompt"))
    {
        const auto& p = request.at("prompt");
        if(p.is_string())
            return p.get<std::string>();
        if(p.is_array() && !p.empty() && p.back().is_string())
            return p.back().get<std::string>();
        return {};
    }
    auto it = request.find("messages");
    if(it == request.end() || !it->is_array())
        return {};
    std::optional<std::string> last_context;
    for(auto m = it->rbegin(); m != it->rend(); ++m)
    {
        if(!m->is_object() || m->value("role", std::string()) != "user")
            continue;
        auto c = m->find("content");
        if(c == m->end())
            return {};
        bool openclaw = false;
        std::string text = content_text(*c, openclaw);
        if(!is_internal_context(text))
        {
            if(openclaw || last_context)
                strip_timestamp(text);
            return text;
        }
        if(!last_context)
            last_context = std::move(text);
    }
    // Only internal context: echo that rather than nothing.
    return last_context.value_or(std::string());
}

std::vector<std::string>
reply_script::tokenize(const std::string& text)
{
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    for(char ch : text)
    {
        bool space = std::isspace(static_cast<unsigned char>(ch)) != 0;
        if(space && in_word)
        {
            out.push_back(std::move(cur));
            cur.clear();
            in_word = false;
        }
        if(!space)
            in_word = true;
        cur += ch;
    }
    if(!cur.empty())
        out.push_back(std::move(cur));
    return out;
}

int
reply_script::count_prompt_tokens(const nlohmann::json& request)
{
    std::size_t bytes = 0;
    if(auto it = request.find("messages"); it != request.end())
        bytes += it->dump().size();
    if(auto it = request.find("prompt"); it != request.end())
        bytes += it->dump().size();
    if(auto it = request.find("tools"); it != request.end())
        bytes += it->dump().size();
    return static_cast<int>(bytes / 4 + 1);
}

planned_reply
reply_script::plan(const nlohmann::json& request, const std::string& model) const
{
    planned_reply out;
    std::string user = user_text(request);
    const scripted_reply* hit = nullptr;
    for(const auto& r : replies_)
    {
        if(!r.model.empty() && r.model != model)
            continue;
        if(!r.prompt_contains.empty() && user.find(r.prompt_contains) == std::string::npos)
            continue;
        hit = &r;
        break;
    }
    std::string text;
    if(hit)
    {
        text = hit->text;
        out.tool_call = hit->tool_call;
        out.repeat = std::max<std::size_t>(1, hit->repeat);
    }
    else
    {
        auto words = tokenize(user);
        text = "Echo:";
        for(std::size_t i = 0; i < words.size() && i < 16; ++i)
        {
            // Normalise whitespace so the default reply is one line.
            std::size_t p = 0;
            while(p < words[i].size() && std::isspace(static_cast<unsigned char>(words[i][p])))
                ++p;
            text += ' ';
            text += words[i].substr(p);
        }
    }
    out.pieces = tokenize(text);
    if(out.tool_call)
        out.finish_reason = "tool_calls";

    // The OpenAI client sends max_completion_tokens (OpenClaw) or max_tokens.
    long limit = -1;
    for(const char* key : {"max_completion_tokens", "max_tokens", "n_predict"})
        if(auto it = request.find(key); it != request.end() && it->is_number_integer())
        {
            limit = it->get<long>();
            break;
        }
    if(limit >= 0 && out.pieces.size() * out.repeat > static_cast<std::size_t>(limit))
    {
        auto max = static_cast<std::size_t>(limit);
        if(out.pieces.empty() || max < out.pieces.size())
        {
            out.pieces.resize(std::min(max, out.pieces.size()));
            out.repeat = 1;
        }
        else
            out.repeat = max / out.pieces.size();
        out.tool_call.reset();
        out.finish_reason = "length";
    }
    out.completion_tokens = static_cast<int>(out.pieces.size() * out.repeat) + (out.tool_call ? 8 : 0);
    out.prompt_tokens = count_prompt_tokens(request);
    return out;
}

scripted_reply
scripted_reply_from_json(const nlohmann::json& j)
{
    scripted_reply r;
    r.model = j.value("model", std::string());
    r.prompt_contains = j.value("prompt_contains", std::string());
    r.text = j.value("reply", j.value("text", std::string()));
    r.repeat = j.value("repeat", std::size_t{1});
    if(j.contains("tool_call"))
    {
        const auto& t = j.at("tool_call");
        tool_call_reply tc;
        tc.name = t.value("name", std::string());
        if(t.contains("arguments"))
            tc.arguments = t.at("arguments").is_string() ? t.at("arguments").get<std::string>() : t.at("arguments").dump();
        tc.id = t.value("id", std::string());
        r.tool_call = tc;
    }
    return r;
}

} // namespace fakes::model_runner
