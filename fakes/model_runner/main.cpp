// fake-model-runner: Docker Model Runner stand-in as a process.
#include "fake_model_runner.hpp"
#include "model_name.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <fstream>
#include <iostream>

#include <pthread.h>

int
main(int argc, char** argv)
{
    using namespace fakes::model_runner;
    CLI::App app{"fake-model-runner: a fake Docker Model Runner (llama.cpp SSE, DMR errors, fault injection)"};
    std::string config;
    std::string host = "127.0.0.1";
    int port = 12434;
    std::vector<std::string> models;
    int load_delay_ms = -1;
    bool timestamps = false;
    std::string usage;
    std::string fault;
    unsigned threads = 0;
    long token_interval_us = -1;
    app.add_option("--config", config, "JSON options file (schema: docs/fake-model-runner.md)")->check(CLI::ExistingFile);
    app.add_option("--host", host, "address to bind")->capture_default_str();
    app.add_option("--port", port, "port to bind; 0 = ephemeral (printed)")->capture_default_str()->check(CLI::Range(0, 65535));
    app.add_option("--model", models, "a pulled model (repeatable; replaces the default set)");
    app.add_option("--load-delay-ms", load_delay_ms, "first request per model waits this long before headers");
    app.add_flag("--event-timestamps", timestamps, "prefix each SSE event with ': t=<unix micros>'");
    app.add_option("--usage", usage, "usage chunk placement")->check(CLI::IsMember({"separate_chunk", "on_finish_chunk"}));
    app.add_option("--fault", fault, "faults for every response, x-fake-fault syntax (e.g. 'reset_peer;after_events=2')");
    app.add_option("--threads", threads, "I/O threads");
    app.add_option("--token-interval-us", token_interval_us, "pause between SSE events");
    CLI11_PARSE(app, argc, argv);

    runner_options o;
    try
    {
        if(!config.empty())
        {
            std::ifstream in(config);
            o = options_from_json(nlohmann::json::parse(in));
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
        if(load_delay_ms >= 0)
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
        if(token_interval_us >= 0)
            o.token_interval = std::chrono::microseconds(token_interval_us);
    }
    catch(const std::exception& e)
    {
        std::cerr << "fake-model-runner: " << e.what() << "\n";
        return 2;
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
        std::cerr << "fake-model-runner: cannot listen on " << o.host << ":" << o.port << ": " << e.what() << "\n";
        return 3;
    }
    std::cout << "listening on " << o.host << ":" << dmr.port() << std::endl;
    int sig = 0;
    sigwait(&set, &sig);
    dmr.stop();
    return 0;
}
