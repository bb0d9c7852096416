// fake-model-runner: Docker Model Runner stand-in as a process.
#include "fake_model_runner.hpp"
#include "model_name.hpp"

#include "cli_kit.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <pthread.h>

int
main(int argc, char** argv)
{
    using namespace fakes::model_runner;
    CLI::App app{"fake-model-runner: a fake Docker Model Runner (llama.cpp SSE, DMR errors, fault injection)\n"
                 "Exit codes: 0 stopped by a signal, 2 usage error, 3 cannot listen."};
    mrb::cli_kit::apply(app, "fake-model-runner");
    std::string config;
    std::string host = "127.0.0.1";
    int port = 12434;
    std::vector<std::string> models;
    std::chrono::milliseconds load_delay{0};
    int load_delay_ms = -1;
    bool timestamps = false;
    std::string usage;
    std::string fault;
    unsigned threads = 0;
    std::chrono::milliseconds token_interval{0};
    long token_interval_us = -1;
    double prefill_rate = -1;
    std::string cors;
    app.add_option("--config", config, "JSON options file (schema: docs/fake-model-runner.md)")->check(CLI::ExistingFile);
    app.add_option("--host", host, "address to bind")->capture_default_str();
    app.add_option("--port", port, "port to bind; 0 = ephemeral (printed)")->capture_default_str()->check(CLI::Range(0, 65535));
    app.add_option("--model", models, "a pulled model (repeatable; replaces the default set)");
    mrb::cli_kit::add_duration(app, "--load-delay", load_delay,
                               "first request per model waits this long before headers (500ms, 6s, ...)");
    app.add_option("--load-delay-ms", load_delay_ms, "deprecated: --load-delay in milliseconds")->group("");
    app.add_flag("--event-timestamps", timestamps, "prefix each SSE event with ': t=<unix micros>'");
    app.add_option("--usage", usage, "usage chunk placement")->check(CLI::IsMember({"separate_chunk", "on_finish_chunk"}));
    app.add_option("--fault", fault, "faults for every response, x-fake-fault syntax (e.g. 'reset_peer;after_events=2')");
    app.add_option("--threads", threads, "I/O threads");
    mrb::cli_kit::add_duration(app, "--token-interval", token_interval, "pause between SSE events (e.g. 20ms)");
    app.add_option("--token-interval-us", token_interval_us, "pause between SSE events in microseconds (finer than --token-interval)")
        ->group("");
    app.add_option("--prefill-rate", prefill_rate,
                   "prompt tokens per second before a response head (llama.cpp prefill; default 1000, 0 = instant)")
        ->check(CLI::Validator(
            [](std::string& v) {
                char* end = nullptr;
                const double d = std::strtod(v.c_str(), &end);
                return end != v.c_str() && *end == '\0' && d >= 0 ? std::string() : "must be tokens per second, >= 0";
            },
            "TOKENS/S"));
    app.add_option("--cors", cors, "allowed Origin values like Docker Desktop's --cors: all (default), none, "
                                   "engine-default, or a comma-separated list (exact match)");
    if(const int rc = mrb::cli_kit::parse(app, argc, argv); rc >= 0)
        return rc;

    runner_options o;
    try
    {
        if(!config.empty())
        {
            std::ifstream in(config);
            try
            {
                o = options_from_json(nlohmann::json::parse(in));
            }
            catch(const nlohmann::json::exception& e)
            {
                throw std::invalid_argument("--config " + config + ": " + e.what());
            }
            if(!app.count("--port"))
                port = o.port;
            if(!app.count("--host"))
                host = o.host;
        }
        o.host = host;
        o.port = static_cast<std::uint16_t>(port);
        if(!models.empty())
        {
            o.models.clear();
            for(const auto& m : models)
                o.models.push_back(model_from_json(nlohmann::json(m)));
        }
        if(app.count("--load-delay"))
            o.load_delay = load_delay;
        else if(load_delay_ms >= 0)
            o.load_delay = std::chrono::milliseconds(load_delay_ms);
        if(timestamps)
            o.event_timestamps = true;
        if(!usage.empty())
            o.usage = usage == "on_finish_chunk" ? usage_placement::on_finish_chunk : usage_placement::separate_chunk;
        if(!fault.empty())
        {
            std::string err;
            auto f = parse_fault_header(fault, err);
            if(!f)
                throw std::invalid_argument("--fault: " + err);
            o.faults = *f;
        }
        if(threads > 0)
            o.threads = threads;
        if(prefill_rate >= 0)
            o.prefill_rate = prefill_rate;
        if(app.count("--cors"))
            cors_from_text(cors, o);
        if(app.count("--token-interval"))
            o.token_interval = token_interval;
        else if(token_interval_us >= 0)
            o.token_interval = std::chrono::microseconds(token_interval_us);
    }
    catch(const std::exception& e)
    {
        return mrb::cli_kit::usage_error("fake-model-runner", e.what());
    }

    // Block the stop signals before any thread starts, then wait for them here.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    fake_model_runner dmr(o);
    try
    {
        dmr.start();
    }
    catch(const std::exception& e)
    {
        std::cerr << "fake-model-runner: " << mrb::cli_kit::cannot_listen(o.host, o.port, e.what()) << "\n";
        return 3;
    }
    std::cout << "listening on " << o.host << ":" << dmr.port() << std::endl;
    int sig = 0;
    sigwait(&set, &sig);
    dmr.stop();
    return 0;
}
