#include "reply_script.hpp"

#include <cctype>

namespace fakes::model_runner {

reply_script::reply_script(std::vector<scripted_reply> replies)
    : replies_(std::move(replies))
{
}

std::string
reply_script::last_user_text(const nlohmann::json& request)
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
    for(auto m = it->rbegin(); m != it->rend(); ++m)
    {
        if(!m->is_object() || m->value("role", std::string()) != "user")
            continue;
        auto c = m->find("content");
        if(c == m->end())
            return {};
        if(c->is_string())
            return c->get<std::string>();
        std::string out;
        if(c->is_array())
            for(const auto& part : *c)
                if(part.is_object() && part.value("type", std::string()) == "text" && part.contains("text") &&
                   part.at("text").is_string())
                {
                    if(!out.empty())
                        out += '\n';
                    out += part.at("text").get<std::string>();
                }
        return out;
    }
    return {};
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
    std::string user = last_user_text(request);
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
