// fake-openclaw: one OpenClaw agent turn (or a load of them) against the configured provider.
#include "cli_kit.hpp"
#include "fake_openclaw.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

namespace oc = fakes::openclaw;

int
main(int argc, char** argv)
{
    CLI::App app{"fake-openclaw: sends what one OpenClaw agent turn sends (openai-completions "
                 "provider), prints the streamed reply, and on failure what OpenClaw would tell "
                 "the user, exiting with OpenClaw's code (0 ok, 1 or 2 failure).\n"
                 "Exit codes: 0 turn ok, 1 or 2 the turn failed as OpenClaw's would, 2 also a usage error."};
    mrb::cli_kit::apply(app, "fake-openclaw");
    std::string config_path;
    std::string options_file;
    std::string message;
    int retries = -1;
    int repeat = 0;
    int concurrency = 0;
    long backoff_ms = -1;
    long timeout_ms = -1;
    long connect_timeout_ms = -1;
    oc::client_options const defaults;
    std::chrono::milliseconds backoff_unit = defaults.backoff_unit, idle_timeout = defaults.idle_timeout,
                              connect_timeout = defaults.connect_timeout;
    std::uint64_t seed = 0;
    bool json = false;
    bool events = true;
    app.add_option("--config", config_path,
        "openclaw.json (JSON5). Default: OPENCLAW_CONFIG_PATH, OPENCLAW_STATE_DIR/openclaw.json, "
        "OPENCLAW_HOME/.openclaw/openclaw.json, ~/.openclaw/openclaw.json");
    app.add_option("--options", options_file, "the fake's own options as JSON (docs/fake-openclaw.md); flags override")
        ->check(CLI::ExistingFile);
    app.add_option("--message,-m", message, "the user message of the turn");
    bool single_attempt = false;
    std::string state_dir;
    std::chrono::milliseconds key_cooldown = defaults.key_cooldown;
    app.add_flag("--single-attempt", single_attempt,
        "one request per turn whatever happens (NOT OpenClaw: for load measurement)");
    // Old spelling: --retries 0 is --single-attempt; any other value is OpenClaw's own count.
    app.add_option("--retries", retries)->check(CLI::Range(0, 100))->group("");
    app.add_option("--state-dir", state_dir,
        "where the 401/403 key cooldown is kept across runs (default: ~/.openclaw/agents/main/agent)");
    mrb::cli_kit::add_duration(app, "--key-cooldown", key_cooldown, "how long a 401/403 disables the key (OpenClaw: 30s)");
    mrb::cli_kit::add_duration(app, "--backoff-unit", backoff_unit,
                               "length of one second of OpenClaw's waits between attempts and of a Retry-After "
                               "(1s = real time, 0 = count them without waiting); the counts never change");
    mrb::cli_kit::add_duration(app, "--timeout", idle_timeout, "no response bytes for this long fails; before the response head this is OpenClaw's agent deadline");
    mrb::cli_kit::add_duration(app, "--connect-timeout", connect_timeout, "connect timeout");
    // Deprecated millisecond spellings, kept for scripts.
    app.add_option("--backoff-ms", backoff_ms)->check(CLI::Range(0L, 60000L))->group("");
    app.add_option("--timeout-ms", timeout_ms)->check(CLI::Range(1L, 3600000L))->group("");
    app.add_option("--connect-timeout-ms", connect_timeout_ms)->check(CLI::Range(1L, 3600000L))->group("");
    app.add_option("--repeat", repeat, "load mode: number of turns")->check(CLI::Range(1, 10000000));
    app.add_option("--concurrency", concurrency, "load mode: parallel keep-alive connections")
        ->check(CLI::Range(1, 10000));
    app.add_option("--seed", seed, "seed for the traceparent header (0 = random)");
    app.add_flag("--json", json, "print a JSON report on stdout instead of the text");
    app.add_flag("!--no-events", events, "leave per-event arrival times out of the --json report");

    if (int const rc = mrb::cli_kit::parse(app, argc, argv); rc >= 0)
        return rc;

    oc::client_options o;
    try
    {
        if (!options_file.empty())
        {
            std::ifstream in(options_file);
            o = oc::options_from_json(nlohmann::json::parse(in));
        }
    }
    catch (std::exception const& e)
    {
        return mrb::cli_kit::usage_error("fake-openclaw", "--options " + options_file + ": " + e.what());
    }
    if (!config_path.empty())
        o.config_path = config_path;
    if (!message.empty())
        o.message = message;
    if (retries >= 0)
        o.retries = retries == 0 ? 0 : -1;
    if (single_attempt)
        o.retries = 0;
    if (!state_dir.empty())
        o.state_dir = state_dir;
    if (app.count("--key-cooldown"))
        o.key_cooldown = key_cooldown;
    if (app.count("--backoff-unit"))
        o.backoff_unit = backoff_unit;
    else if (backoff_ms >= 0)
        o.backoff_unit = std::chrono::milliseconds(backoff_ms);
    if (app.count("--timeout"))
        o.idle_timeout = idle_timeout;
    else if (timeout_ms > 0)
        o.idle_timeout = std::chrono::milliseconds(timeout_ms);
    if (app.count("--connect-timeout"))
        o.connect_timeout = connect_timeout;
    else if (connect_timeout_ms > 0)
        o.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
    if (repeat > 0)
        o.repeat = repeat;
    if (concurrency > 0)
        o.concurrency = concurrency;
    if (seed != 0)
        o.seed = seed;

    try
    {
        if (o.repeat > 1 || o.concurrency > 1)
        {
            auto const l = oc::run_load(o);
            if (json)
                std::cout << oc::to_json(l).dump(2) << std::endl;
            else
                std::cout << l.succeeded << "/" << l.turns << " turns ok, " << l.requests_sent
                          << " requests, " << l.turns_per_second << " turns/s, total p50 "
                          << l.total.p50_us << " us p99 " << l.total.p99_us << " us" << std::endl;
            for (auto const& r : l.results)
                if (r.exit_code != 0)
                {
                    std::cerr << r.user_message << "\n";
                    return r.exit_code;
                }
            return 0;
        }

        if (!json)
            o.on_text = [](std::string_view text) {
                std::fwrite(text.data(), 1, text.size(), stdout);
                std::fflush(stdout);  // the point is to show tokens as they arrive
            };
        auto const r = oc::run_turn(o);
        if (json)
            std::cout << oc::to_json(r, events).dump(2) << std::endl;
        else if (!r.text.empty())
            std::cout << std::endl;
        if (r.exit_code != 0)
            std::cerr << r.user_message << "\n";
        return r.exit_code;
    }
    catch (std::exception const& e)
    {
        std::cerr << "fake-openclaw: internal error: " << e.what() << "\n";
        return 1;
    }
}
