#include "model_name.hpp"

#include <algorithm>
#include <cctype>

namespace fakes::model_runner {

namespace {

bool
all_hex(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c));
    });
}

} // namespace

bool
looks_like_model_id(std::string_view name)
{
    if(name.starts_with("sha256:"))
        return all_hex(name.substr(7));
    return (name.size() == 12 || name.size() == 64) && all_hex(name);
}

std::string
normalize_model_name(std::string_view name)
{
    if(name.empty() || looks_like_model_id(name))
        return std::string(name);
    std::string out(name);
    if(out.starts_with("hf.co/"))
        out = "huggingface.co/" + out.substr(6);
    // The tag separator is the last ':' after the last '/' (a registry port is not a tag).
    auto slash = out.rfind('/');
    auto colon = out.rfind(':');
    std::string tag;
    if(colon != std::string::npos && (slash == std::string::npos || colon > slash))
    {
        tag = out.substr(colon + 1);
        out.resize(colon);
    }
    if(slash == std::string::npos)
        out = "ai/" + out;
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out += ':';
    out += tag.empty() ? "latest" : tag;
    return out;
}

} // namespace fakes::model_runner
