#pragma once
// runner_options: everything a fake_model_runner instance is configured with. The JSON form
// (options_from_json, `--config FILE`, a scenario's topology entry) is documented in
// docs/fake-model-runner.md.

#include "fault_spec.hpp"
#include "model_catalog.hpp"
#include "reply_script.hpp"
#include "sse_writer.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace fakes::model_runner {

/// Docker Desktop's `docker desktop enable model-runner --cors all|none|<list>`: which `Origin`
/// values DMR's CORS middleware lets through (exact match; docs/reference/dmr-failures.md).
enum class cors_mode
{
    all,   ///< Docker Desktop's default: every origin
    none,  ///< any request carrying an Origin is refused
    list,  ///< exactly the strings in cors_origins
};

/// The Docker Engine's default list (pkg/envconfig AllowedOrigins without DMR_ORIGINS):
/// http(s)://{localhost,127.0.0.1,0.0.0.0}, each bare and with a literal `*` port.
std::vector<std::string> engine_default_origins();

/// llama.cpp's prompt processing speed assumed by default: tokens per second (see
/// docs/reference/dmr-failures.md for where the figure comes from).
inline constexpr double default_prefill_rate = 1000.0;

struct runner_options
{
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                    ///< 0 = ephemeral (the binary defaults to 12434)
    unsigned threads = 2;
    std::vector<model_info> models;            ///< empty = model_catalog::default_models()
    std::vector<scripted_reply> replies;
    std::chrono::milliseconds load_delay{0};   ///< first inference request per model waits this
    bool event_timestamps = false;             ///< ": t=<unix micros>" before each SSE event
    usage_placement usage = usage_placement::separate_chunk;
    std::chrono::microseconds token_interval{0}; ///< pause between SSE events
    fault_spec faults;                         ///< applied to every response
    bool fault_header = true;                  ///< honour x-fake-fault per request
    std::string version = "v1.2.6";
    std::string root_body = "Docker Model Runner is running";
    std::string system_fingerprint = "b6097-9515c613";
    std::int64_t fixed_created = 0;            ///< 0 = now; tests pin it for byte comparisons
    cors_mode cors = cors_mode::all;
    std::vector<std::string> cors_origins;     ///< for cors_mode::list, matched exactly
    /// Prompt tokens processed per second before the first result exists (llama.cpp sends no
    /// head for a stream until then); 0 = instant.
    double prefill_rate = default_prefill_rate;
    std::uint64_t max_body = 10 * 1024 * 1024; ///< DMR's limit: larger -> 400 request too large
    std::size_t max_recorded = 10000;          ///< requests kept by the recorder (0 = none; counts stay exact)
};

/// Docker Desktop's --cors value: `all`, `none`, `engine-default`, or a comma-separated list of
/// origins (where `engine-default` adds the Engine's list). Throws std::invalid_argument.
void cors_from_text(std::string_view text, runner_options& o);

/// Throws std::invalid_argument (or nlohmann::json::exception) on a bad document.
runner_options options_from_json(const nlohmann::json& j);

} // namespace fakes::model_runner
