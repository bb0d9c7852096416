#include "request_handler.hpp"

#include "model_name.hpp"
#include "routes.hpp"
#include "sse_writer.hpp"

#include <ctime>

namespace fakes::model_runner {

using ojson = nlohmann::ordered_json;

namespace {

constexpr int kind_chat = 0;
constexpr int kind_text = 1;
constexpr int kind_embed = 2;

// Deterministic pseudo-random stream (splitmix64) for IDs and embeddings.
std::uint64_t
mix(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

} // namespace

http_kit::header_list
request_handler::llama_headers(std::string_view content_type)
{
    // llama.cpp's server (cpp-httplib) names itself; DMR's reverse proxy passes it through.
    return {{"Content-Type", std::string(content_type)}, {"Server", "llama.cpp"}};
}

request_handler::request_handler(const runner_options& options)
    : options_(options)
    , catalog_(options.models.empty() ? model_catalog::default_models() : options.models)
    , script_(options.replies)
{
}

response_plan
request_handler::text_error(int status, std::string_view message)
{
    response_plan p;
    p.status = status;
    p.headers = {{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}};
    p.body.reserve(message.size() + 1);
    p.body += message;
    p.body += '\n';
    return p;
}

response_plan
request_handler::llama_error(int status, std::string_view message, std::string_view type)
{
    ojson e;
    e["code"] = status;
    e["message"] = std::string(message);
    e["type"] = std::string(type);
    response_plan p;
    p.status = status;
    p.headers = llama_headers("application/json; charset=utf-8");
    p.body = ojson{{"error", e}}.dump();
    return p;
}

response_plan
request_handler::dmr_json(const std::string& json) const
{
    // DMR's own handlers use json.NewEncoder: application/json and a trailing newline.
    response_plan p;
    p.headers = {{"Content-Type", "application/json"}};
    p.body = json;
    p.body += '\n';
    return p;
}

bool
request_handler::origin_allowed(std::string_view origin) const
{
    switch(options_.cors)
    {
    case cors_mode::all:
        return true;
    case cors_mode::none:
        return false;
    case cors_mode::list:
        break;
    }
    // DMR: set membership; "*" alone allows everything. `http://localhost:*` is only itself.
    if(options_.cors_origins.size() == 1 && options_.cors_origins.front() == "*")
        return true;
    for(const auto& o : options_.cors_origins)
        if(o == origin)
            return true;
    return false;
}

std::chrono::milliseconds
request_handler::prefill_time(int prompt_tokens, double rate)
{
    if(rate <= 0 || prompt_tokens <= 0)
        return {};
    return std::chrono::milliseconds(static_cast<std::int64_t>(prompt_tokens * 1000.0 / rate + 0.5));
}

std::string
request_handler::next_id(std::string_view prefix)
{
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::uint64_t state = mix(++counter_);
    std::string id(prefix);
    for(int i = 0; i < 32; ++i)
    {
        state = mix(state);
        id += alphabet[state % 62];
    }
    return id;
}

std::chrono::milliseconds
request_handler::take_load_delay(const std::string& model)
{
    if(options_.load_delay.count() == 0)
        return {};
    std::lock_guard lock(loaded_mutex_);
    // DMR loads a model once; later requests find the runner ready.
    return loaded_.insert(model).second ? options_.load_delay : std::chrono::milliseconds{0};
}

response_plan
request_handler::handle(const http_kit::received_request& req)
{
    auto m = match_route(req.method, req.target);
    // DMR's CORS middleware wraps every route but `/` and `/version`, and runs before them.
    if(m.kind != route_kind::root && m.kind != route_kind::version)
        if(auto origin = req.header("Origin"); !origin.empty() && !origin_allowed(origin))
            return text_error(403, text_errors::origin_not_allowed);

    switch(m.kind)
    {
    case route_kind::root:
    {
        response_plan p;
        p.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
        p.body = options_.root_body;
        return p;
    }
    case route_kind::version:
        return dmr_json(ojson{{"version", options_.version}}.dump());
    case route_kind::models_list:
        return dmr_json(catalog_.native_list().dump());
    case route_kind::model_get:
    {
        auto* model = catalog_.find_partial(m.name);
        if(!model)
            return text_error(404, text_errors::model_not_found(m.name));
        return dmr_json(model_catalog::native_json(*model).dump());
    }
    case route_kind::engines_status:
        return dmr_json(ojson{{"llama.cpp", "running llama.cpp version: " + options_.system_fingerprint}}.dump());
    case route_kind::openai_models:
        return dmr_json(catalog_.openai_list().dump());
    case route_kind::openai_model:
    {
        auto* model = catalog_.find(m.name);
        if(!model)
            return text_error(404, text_errors::model_not_found(m.name));
        return dmr_json(model_catalog::openai_json(*model).dump());
    }
    case route_kind::chat_completions:
        return inference(req, kind_chat, m.backend);
    case route_kind::completions:
        return inference(req, kind_text, m.backend);
    case route_kind::embeddings:
        return inference(req, kind_embed, m.backend);
    case route_kind::method_not_allowed:
        // Go 1.22's mux answers 405 only when no pattern matches the path; DMR's catch-all
        // matches every path, so a wrong method lands there: 404 "not found".
        return text_error(404, text_errors::not_found);
    case route_kind::not_implemented:
    {
        // Real DMR routes this fake lacks: answer as DMR's mux does for a path it lacks.
        const auto path = clean_path(req.target);
        const bool engines = path.starts_with("/engines/") || path.starts_with("/v1/");
        return text_error(404, engines ? text_errors::not_found : text_errors::page_not_found);
    }
    case route_kind::backend_not_found:
        return text_error(404, text_errors::backend_not_found);
    case route_kind::engines_not_found:
        return text_error(404, text_errors::not_found);
    case route_kind::not_found:
        break;
    }
    return text_error(404, text_errors::page_not_found);
}

response_plan
request_handler::inference(const http_kit::received_request& req, int kind, const std::string& backend)
{
    if(req.body.size() > options_.max_body)
    {
        // Go's MaxBytesReader marks the connection: the answer says `Connection: close`.
        auto p = text_error(400, text_errors::request_too_large);
        p.close = true;
        return p;
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if(body.is_discarded() || !body.is_object())
        return text_error(400, text_errors::invalid_request);
    auto mit = body.find("model");
    if(mit == body.end() || !mit->is_string() || mit->get<std::string>().empty())
        return text_error(400, text_errors::model_required);
    const std::string as_sent = mit->get<std::string>();
    const model_info* model = catalog_.find(as_sent);
    if(!model)
        return text_error(404, text_errors::model_not_found(as_sent));
    if(!backend.empty() && backend != "llama.cpp")
        return text_error(412, text_errors::backend_not_installed(backend));

    const std::string norm = normalize_model_name(as_sent);
    auto load_delay = take_load_delay(norm);
    auto created = options_.fixed_created ? options_.fixed_created : static_cast<std::int64_t>(std::time(nullptr));

    if(kind == kind_embed)
    {
        auto input = body.find("input");
        if(input == body.end())
            return llama_error(400, "\"input\" must be provided", "invalid_request_error");
        std::vector<std::string> inputs;
        if(input->is_string())
            inputs.push_back(input->get<std::string>());
        else if(input->is_array())
            for(const auto& i : *input)
                inputs.push_back(i.is_string() ? i.get<std::string>() : i.dump());
        ojson data = ojson::array();
        int tokens = 0;
        for(std::size_t i = 0; i < inputs.size(); ++i)
        {
            std::uint64_t h = std::hash<std::string>{}(inputs[i]);
            ojson vec = ojson::array();
            for(int k = 0; k < 8; ++k)
            {
                h = mix(h);
                vec.push_back(static_cast<double>(static_cast<std::int64_t>(h % 2001) - 1000) / 1000.0);
            }
            tokens += static_cast<int>(reply_script::tokenize(inputs[i]).size());
            ojson item;
            item["embedding"] = vec;
            item["index"] = i;
            item["object"] = "embedding";
            data.push_back(item);
        }
        ojson res;
        res["model"] = as_sent;
        res["object"] = "list";
        res["usage"] = {{"prompt_tokens", tokens}, {"total_tokens", tokens}};
        res["data"] = data;
        response_plan p;
        p.headers = llama_headers("application/json; charset=utf-8");
        p.body = res.dump();
        p.load_delay = load_delay;
        p.prefill = prefill_time(tokens, options_.prefill_rate);
        return p;
    }

    if(kind == kind_chat)
    {
        auto msgs = body.find("messages");
        if(msgs == body.end() || !msgs->is_array())
            return llama_error(400, "Expected 'messages' to be an array", "invalid_request_error");
    }
    else if(!body.contains("prompt"))
        return llama_error(400, "\"prompt\" must be provided", "invalid_request_error");

    auto reply = script_.plan(body, norm);
    if(model->context_size > 0 && reply.prompt_tokens > model->context_size)
    {
        ojson e;
        e["code"] = 400;
        e["message"] = "request (" + std::to_string(reply.prompt_tokens) + " tokens) exceeds the available context size (" +
                       std::to_string(model->context_size) + " tokens), try increasing it";
        e["type"] = "exceed_context_size_error";
        e["n_prompt_tokens"] = reply.prompt_tokens;
        e["n_ctx"] = model->context_size;
        response_plan p;
        p.status = 400;
        p.headers = llama_headers("application/json; charset=utf-8");
        p.body = ojson{{"error", e}}.dump();
        p.load_delay = load_delay;
        return p;
    }

    stream_context ctx;
    ctx.id = next_id(kind == kind_chat ? "chatcmpl-" : "cmpl-");
    ctx.created = created;
    ctx.model = as_sent;
    ctx.system_fingerprint = options_.system_fingerprint;
    ctx.placement = options_.usage;
    if(auto so = body.find("stream_options"); so != body.end() && so->is_object())
        ctx.include_usage = so->value("include_usage", false);
    sse_writer writer(ctx);

    response_plan p;
    p.load_delay = load_delay;
    // llama.cpp answers a stream only once the first result exists, i.e. after the prompt.
    p.prefill = prefill_time(reply.prompt_tokens, options_.prefill_rate);
    bool stream = body.value("stream", false);
    if(stream)
    {
        p.streaming = true;
        p.headers = llama_headers("text/event-stream");
        p.events = kind == kind_chat ? writer.chat_stream(reply) : writer.text_stream(reply);
        if(reply.repeat > 1)
        {
            // The content chunks follow the role chunk (chat) or start the stream (text).
            p.repeat_from = kind == kind_chat ? 1 : 0;
            p.repeat_to = p.repeat_from + reply.pieces.size();
            p.repeat_times = reply.repeat;
        }
    }
    else
    {
        p.headers = llama_headers("application/json; charset=utf-8");
        p.body = kind == kind_chat ? writer.chat_completion(reply) : writer.text_completion(reply);
    }
    return p;
}

} // namespace fakes::model_runner
