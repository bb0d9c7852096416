#pragma once

#include "error_class.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fakes::openclaw {

/// How the fake client runs. `options_from_json` reads the same keys (docs/fake-openclaw.md).
struct client_options
{
    /// openclaw.json location (`--config`); when empty the OpenClaw lookup order applies.
    std::optional<std::string> config_path;
    /// An inline openclaw.json (a scenario's topology); wins over any path.
    std::optional<nlohmann::json> config;
    std::string message = "Say hello in one short sentence.";

    /// OpenClaw's reactions (docs/fake-openclaw.md): each failure is retried as the real client
    /// retries it, with the same count. Only the waits can be shortened: one second of
    /// OpenClaw's schedule (and of a Retry-After) lasts `backoff_unit`.
    std::chrono::milliseconds backoff_unit{1000};
    /// -1 (default): OpenClaw's own count for each failure. 0: one request per turn whatever
    /// happens (not OpenClaw; for load measurement). Any other value counts as -1: the count of
    /// a failure is never changed.
    int retries = -1;

    std::chrono::milliseconds connect_timeout{10000};
    /// No response bytes for this long fails the attempt; before the response head this is
    /// OpenClaw's agent deadline (600 s), which ends the turn.
    std::chrono::milliseconds idle_timeout{600000};

    /// Where the inline key's 401/403 cooldown is kept across runs. Unset: OpenClaw's place,
    /// $HOME/.openclaw/agents/main/agent (nothing is kept when HOME is unset).
    std::optional<std::string> state_dir;
    /// How long a 401/403 disables the key (measured: about 30 s).
    std::chrono::milliseconds key_cooldown{30000};

    /// Load mode: `repeat` turns spread over `concurrency` keep-alive connections.
    int repeat = 1;
    int concurrency = 1;

    /// Seeds the traceparent generator (0: random), so a test can predict the header.
    std::uint64_t seed = 0;

    /// Called with each piece of assistant text as it arrives (single-turn printing).
    std::function<void(std::string_view)> on_text;
};

/// One event (or SSE comment) as it arrived, microseconds after the attempt started.
struct event_record
{
    std::int64_t t_us = 0;
    bool is_comment = false;
    std::string data;
    /// Sender-to-here delay of an event announced by a `: t=<unix micros>` comment (what
    /// fake-model-runner --event-timestamps writes), from the system clock; -1 when unknown.
    std::int64_t delay_us = -1;
};

struct turn_result
{
    int status = 0;  // 0 when no status line was received
    std::string text;
    std::vector<event_record> events;
    std::string finish_reason;
    nlohmann::json usage;  // null when the stream carried none
    bool done_seen = false;

    error_class error = error_class::none;
    std::string detail;        // technical cause (error text, response body head)
    std::string user_message;  // what OpenClaw would show
    int exit_code = 0;         // 0, or OpenClaw's 1 / 2
    int requests_sent = 0;     // requests on the wire, retries and undici's resends included
    int attempts = 0;          // OpenClaw's own attempts
    std::int64_t waited_ms = 0;  // OpenClaw's time waiting between attempts, before backoff_unit scaling
    std::int64_t retry_after_s = -1;  // the last response's Retry-After (delta-seconds)
    bool key_disabled = false;        // this turn put the inline key in cooldown

    std::int64_t ttfb_us = -1;         // response header, last attempt
    std::int64_t first_event_us = -1;  // first SSE event, last attempt
    std::int64_t total_us = 0;         // whole turn, backoff included
    bool reused_connection = false;    // the last attempt ran on a kept-alive connection
    std::string config_path;           // the file that was read, if any
};

struct latency_stats
{
    std::int64_t count = 0;
    std::int64_t min_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
    double mean_us = 0;

    static latency_stats of(std::vector<std::int64_t> samples);
};

struct load_result
{
    int turns = 0;
    int succeeded = 0;
    std::vector<std::pair<std::string, int>> errors;  // error class -> count
    int requests_sent = 0;
    std::int64_t wall_us = 0;
    double turns_per_second = 0;
    latency_stats ttfb, first_event, total, inter_event, event_delay;
    std::vector<turn_result> results;  // completion order
};

client_options options_from_json(nlohmann::json const& j);

/// Resolves the config, sends one agent turn (with retries if enabled) and reports it.
turn_result run_turn(client_options const& options);

/// Runs options.repeat turns over options.concurrency connections.
load_result run_load(client_options const& options);

nlohmann::json to_json(turn_result const& r, bool with_events = true);
nlohmann::json to_json(load_result const& r);

}  // namespace fakes::openclaw
