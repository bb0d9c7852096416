#include "routes.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <vector>

namespace fakes::model_runner {

namespace text_errors {

std::string
model_not_found(std::string_view as_sent)
{
    // Go's %q of an ASCII string is a JSON-style quoted string.
    return "error while getting model: get model '" + nlohmann::json(std::string(as_sent)).dump() + "': model not found";
}

std::string
backend_not_installed(std::string_view backend)
{
    std::string b(backend);
    return "backend \"" + b + "\" is not installed; run: docker model install-runner --backend " + b;
}

} // namespace text_errors

bool
known_backend(std::string_view b)
{
    static constexpr std::array<std::string_view, 5> known{"llama.cpp", "vllm", "mlx", "sglang", "diffusers"};
    for(auto k : known)
        if(k == b)
            return true;
    return false;
}

std::string
clean_path(std::string_view target)
{
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::vector<std::string_view> parts;
    while(!path.empty())
    {
        auto slash = path.find('/');
        auto seg = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if(seg.empty() || seg == ".")
            continue;
        if(seg == "..")
        {
            if(!parts.empty())
                parts.pop_back();
            continue;
        }
        parts.push_back(seg);
    }
    std::string out;
    for(auto p : parts)
    {
        out += '/';
        out += p;
    }
    return out.empty() ? "/" : out;
}

namespace {

route_match
make(route_kind k, std::string backend = {}, std::string name = {})
{
    route_match m;
    m.kind = k;
    m.backend = std::move(backend);
    m.name = std::move(name);
    return m;
}

route_match
only(std::string_view method, std::string_view wanted, route_match m)
{
    if(method == wanted || (wanted == "GET" && method == "HEAD"))
        return m;
    route_match r;
    r.kind = route_kind::method_not_allowed;
    r.allow = wanted == "GET" ? "GET, HEAD" : std::string(wanted);
    return r;
}

// `rest` is what follows "/engines/v1/" or "/engines/{backend}/v1/".
route_match
match_v1(std::string_view method, std::string_view rest, const std::string& backend)
{
    if(rest == "models")
        return only(method, "GET", make(route_kind::openai_models, backend));
    if(rest.starts_with("models/"))
        return only(method, "GET", make(route_kind::openai_model, backend, std::string(rest.substr(7))));
    if(rest == "chat/completions")
        return only(method, "POST", make(route_kind::chat_completions, backend));
    if(rest == "completions")
        return only(method, "POST", make(route_kind::completions, backend));
    if(rest == "embeddings")
        return only(method, "POST", make(route_kind::embeddings, backend));
    if(rest == "messages" || rest == "messages/count_tokens" || rest == "images/generations" ||
       rest.starts_with("responses"))
        return make(route_kind::not_implemented, backend);
    return make(route_kind::engines_not_found);
}

} // namespace

route_match
match_route(std::string_view method, std::string_view target)
{
    std::string path = clean_path(target);
    std::string_view p = path;
    if(p == "/")
        return only(method, "GET", make(route_kind::root));
    if(p == "/version")
        return only(method, "GET", make(route_kind::version));
    if(p == "/models")
        return only(method, "GET", make(route_kind::models_list));
    if(p.starts_with("/models/"))
    {
        auto name = p.substr(8);
        if(name == "create" || name == "load" || name == "purge" || name.ends_with("/export") ||
           name.ends_with("/tag") || name.ends_with("/push") || name.ends_with("/repackage"))
            return make(route_kind::not_implemented);
        if(method == "DELETE")
            return make(route_kind::not_implemented);
        return only(method, "GET", make(route_kind::model_get, {}, std::string(name)));
    }
    if(p.starts_with("/v1/"))
    {
        path = "/engines" + path;
        p = path;
    }
    if(p.starts_with("/engines/"))
    {
        auto rest = p.substr(9);
        if(rest == "status")
            return only(method, "GET", make(route_kind::engines_status));
        if(rest == "ps" || rest == "df" || rest == "unload" || rest == "requests" || rest == "_configure" ||
           rest == "install-backend" || rest == "uninstall-backend")
            return make(route_kind::not_implemented);
        if(rest.starts_with("v1/"))
            return match_v1(method, rest.substr(3), {});
        auto slash = rest.find('/');
        if(slash != std::string_view::npos && rest.substr(slash + 1).starts_with("v1/"))
        {
            std::string backend(rest.substr(0, slash));
            auto m = match_v1(method, rest.substr(slash + 4), backend);
            // The model listing ignores the backend segment (DMR serves it from the model
            // store); inference on an unknown backend is refused.
            if(m.kind != route_kind::engines_not_found && m.kind != route_kind::openai_models &&
               m.kind != route_kind::openai_model && !known_backend(backend))
                return make(route_kind::backend_not_found, backend);
            return m;
        }
        return make(route_kind::engines_not_found);
    }
    return make(route_kind::not_found);
}

} // namespace fakes::model_runner
