#pragma once
// routes: Docker Model Runner's route table (external-systems.md 2.2) as a pure function of
// method and target. Paths are cleaned like Go's path.Clean first; "/v1/..." is the alias of
// "/engines/v1/...". The text of DMR's routing errors lives here too.

#include <string>
#include <string_view>

namespace fakes::model_runner {

enum class route_kind
{
    root,                 ///< GET /
    version,              ///< GET /version
    models_list,          ///< GET /models
    model_get,            ///< GET /models/{name...}
    engines_status,       ///< GET /engines/status
    openai_models,        ///< GET /engines[/{backend}]/v1/models
    openai_model,         ///< GET /engines[/{backend}]/v1/models/{name...}
    chat_completions,     ///< POST /engines[/{backend}]/v1/chat/completions
    completions,          ///< POST /engines[/{backend}]/v1/completions
    embeddings,           ///< POST /engines[/{backend}]/v1/embeddings
    not_implemented,      ///< a real DMR route this fake does not serve (answered with DMR's 404)
    method_not_allowed,   ///< a known path with the wrong method (DMR's catch-all: 404 "not found"); `allow` set
    backend_not_found,    ///< 404 "backend not found"
    engines_not_found,    ///< 404 "not found" (anything else under /engines/)
    not_found,            ///< 404 "404 page not found"
};

struct route_match
{
    route_kind kind = route_kind::not_found;
    std::string backend;  ///< "" = default (llama.cpp)
    std::string name;     ///< model name for model_get / openai_model
    std::string allow;    ///< for method_not_allowed: the method(s) the path takes
};

route_match match_route(std::string_view method, std::string_view target);

/// Go's path.Clean on the path part of `target` (query dropped).
std::string clean_path(std::string_view target);

/// Backends DMR knows; only llama.cpp is "installed" in the fake.
bool known_backend(std::string_view backend);

// DMR's plain-text error messages (http.Error adds the trailing "\n").
namespace text_errors {
inline constexpr std::string_view page_not_found = "404 page not found";
inline constexpr std::string_view not_found = "not found";
inline constexpr std::string_view backend_not_found = "backend not found";
inline constexpr std::string_view request_too_large = "request too large";
inline constexpr std::string_view invalid_request = "invalid request";
inline constexpr std::string_view model_required = "model is required";
inline constexpr std::string_view origin_not_allowed = "Origin not allowed";
/// 404 for a model that is not pulled; `as_sent` is quoted like Go's %q.
std::string model_not_found(std::string_view as_sent);
/// 412 for a known backend that is not installed.
std::string backend_not_installed(std::string_view backend);
} // namespace text_errors

} // namespace fakes::model_runner
