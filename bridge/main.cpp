// model-runner-bridge: relays OpenAI-style requests from inside a Docker sandbox through the
// sandbox's HTTP proxy to Docker Model Runner on the host. Default subcommand: serve.

#include "cli_doc.hpp"
#include "core/bridge_config.hpp"
#include "core/proxy_url.hpp"
#include "net/access_log.hpp"
#include "net/capture.hpp"
#include "net/server.hpp"

#ifdef MRB_HAVE_SETUP
#include "setup/setup_commands.hpp"
#endif

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace {

// "250ms", "10s", "5m", "1h"; a bare number is seconds.
std::chrono::milliseconds parse_duration(const std::string& text, const std::string& flag)
{
    std::size_t pos = 0;
    double value = 0;
    try
    {
        value = std::stod(text, &pos);
    }
    catch (const std::exception&)
    {
        throw CLI::ValidationError(flag, "invalid duration '" + text + "' (examples: 250ms, 30s, 5m)");
    }
    const std::string unit = text.substr(pos);
    double ms = 0;
    if (unit.empty() || unit == "s")
        ms = value * 1000;
    else if (unit == "ms")
        ms = value;
    else if (unit == "m" || unit == "min")
        ms = value * 60'000;
    else if (unit == "h")
        ms = value * 3'600'000;
    else
        throw CLI::ValidationError(flag, "invalid duration unit in '" + text + "' (use ms, s, m or h)");
    if (value < 0)
        throw CLI::ValidationError(flag, "duration must not be negative");
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

struct raw_options
{
    std::string listen = "127.0.0.1:54321";
    std::string target = "localhost:12434";
    std::optional<std::string> proxy;
    bool direct = false;
    unsigned threads = mrb::bridge_config::default_threads();
    std::string connect_timeout = "10s";
    std::string response_header_timeout = "600s";
    std::string body_idle_timeout = "300s";
    std::string client_header_timeout = "30s";
    std::string keep_alive_timeout = "60s";
    std::string upstream_idle_timeout = "15s";
    std::string drain_timeout = "30s";
    std::size_t max_header_bytes = 16 * 1024;
    std::uint64_t max_body_bytes = 64ull * 1024 * 1024;
    std::uint64_t replay_limit = mrb::bridge_config{}.replay_limit;
    std::size_t max_connections = 512;
    std::string log_format = "text";
    std::string log_level = "info";
    std::string capture;
    bool capture_bodies = false;
};

void add_options(CLI::App& app, raw_options& o)
{
    app.add_option("--listen", o.listen, "Address to listen on (host:port; port 0 picks a free one)")
        ->envname("MRB_LISTEN")
        ->capture_default_str();
    app.add_option("--target", o.target, "Model Runner as the proxy reaches it (host:port)")
        ->envname("MRB_TARGET")
        ->capture_default_str();
    app.add_option("--proxy", o.proxy,
                   "Sandbox proxy URL [default: $HTTP_PROXY, then $http_proxy, then "
                   "http://host.docker.internal:3128]; http://user:pass@host:port sends Proxy-Authorization");
    app.add_flag("--direct", o.direct, "Connect straight to --target, no proxy (NO_PROXY is never consulted)")
        ->envname("MRB_DIRECT");
    app.add_option("--threads", o.threads,
                   "Worker threads, each with its own event loop [default: one per CPU, at most 4]")
        ->envname("MRB_THREADS")
        ->check(CLI::Range(1u, 64u));
    app.add_option("--connect-timeout", o.connect_timeout, "Timeout to connect to the proxy")
        ->envname("MRB_CONNECT_TIMEOUT")->capture_default_str();
    app.add_option("--response-header-timeout", o.response_header_timeout,
                   "Wait for response headers (Model Runner loads models for up to ~300 s)")
        ->envname("MRB_RESPONSE_HEADER_TIMEOUT")->capture_default_str();
    app.add_option("--idle-timeout", o.body_idle_timeout, "Idle time allowed between body bytes, either way")
        ->envname("MRB_IDLE_TIMEOUT")->capture_default_str();
    app.add_option("--client-header-timeout", o.client_header_timeout, "Deadline for a client's whole request head")
        ->envname("MRB_CLIENT_HEADER_TIMEOUT")->capture_default_str();
    app.add_option("--keep-alive-timeout", o.keep_alive_timeout, "Idle client connection lifetime between requests")
        ->envname("MRB_KEEP_ALIVE_TIMEOUT")->capture_default_str();
    app.add_option("--upstream-idle-timeout", o.upstream_idle_timeout,
                   "Longest a pooled proxy connection is kept idle (keep below the proxy's own)")
        ->envname("MRB_UPSTREAM_IDLE_TIMEOUT")->capture_default_str();
    app.add_option("--drain-timeout", o.drain_timeout, "On SIGTERM/SIGINT, time given to in-flight requests")
        ->envname("MRB_DRAIN_TIMEOUT")->capture_default_str();
    app.add_option("--max-header-bytes", o.max_header_bytes, "Largest request head (431 beyond)")
        ->envname("MRB_MAX_HEADER_BYTES")->capture_default_str()->check(CLI::Range(std::size_t{256}, std::size_t{1} << 20));
    app.add_option("--max-body-bytes", o.max_body_bytes, "Largest request body (413 beyond)")
        ->envname("MRB_MAX_BODY_BYTES")->capture_default_str();
    app.add_option("--replay-limit", o.replay_limit,
                   "Request body bytes held to resend a request once when a pooled proxy connection "
                   "turns out closed (larger bodies get a 502 then)")
        ->envname("MRB_REPLAY_LIMIT")->capture_default_str();
    app.add_option("--max-connections", o.max_connections, "Concurrent client connections (503 beyond)")
        ->envname("MRB_MAX_CONNECTIONS")->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
    app.add_option("--log-format", o.log_format, "Log format on stderr")
        ->envname("MRB_LOG_FORMAT")->capture_default_str()->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log-level", o.log_level, "Minimum log level")
        ->envname("MRB_LOG_LEVEL")->capture_default_str()->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    app.add_option("--capture", o.capture, "Write one JSON line per exchange to FILE (docs/capture.md)")
        ->envname("MRB_CAPTURE");
    app.add_flag("--capture-bodies", o.capture_bodies, "Include body bytes in the capture");
}

mrb::bridge_config resolve(const raw_options& o)
{
    mrb::bridge_config c;
    try
    {
        const auto listen = mrb::parse_host_port(o.listen, 54321, true);
        c.listen_host = listen.host;
        c.listen_port = listen.port;
    }
    catch (const std::invalid_argument& e)
    {
        throw CLI::ValidationError("--listen", e.what());
    }
    try
    {
        const auto target = mrb::parse_host_port(o.target, 12434, false);
        c.target_host = target.host;
        c.target_port = target.port;
    }
    catch (const std::invalid_argument& e)
    {
        throw CLI::ValidationError("--target", e.what());
    }
    c.direct = o.direct;
    if (!c.direct)
    {
        const auto chosen = mrb::choose_proxy(o.proxy, mrb::process_env());
        try
        {
            c.proxy = mrb::parse_proxy_url(chosen.url);
        }
        catch (const std::invalid_argument& e)
        {
            // Name where the URL came from; the message shows it with the password hidden.
            throw CLI::ValidationError(chosen.source, e.what());
        }
    }
    c.threads = o.threads;
    c.connect_timeout = parse_duration(o.connect_timeout, "--connect-timeout");
    c.response_header_timeout = parse_duration(o.response_header_timeout, "--response-header-timeout");
    c.body_idle_timeout = parse_duration(o.body_idle_timeout, "--idle-timeout");
    c.client_header_timeout = parse_duration(o.client_header_timeout, "--client-header-timeout");
    c.keep_alive_idle = parse_duration(o.keep_alive_timeout, "--keep-alive-timeout");
    c.upstream_idle = parse_duration(o.upstream_idle_timeout, "--upstream-idle-timeout");
    c.drain_timeout = parse_duration(o.drain_timeout, "--drain-timeout");
    c.header_limit = o.max_header_bytes;
    c.request_body_limit = o.max_body_bytes;
    c.replay_limit = o.replay_limit;
    c.max_connections = o.max_connections;
    c.log_format_value = o.log_format == "json" ? mrb::log_format::json : mrb::log_format::text;
    c.log_level_value = o.log_level == "debug"  ? mrb::log_level::debug
                        : o.log_level == "warn" ? mrb::log_level::warn
                        : o.log_level == "error" ? mrb::log_level::error
                                                 : mrb::log_level::info;
    c.capture_file = o.capture;
    c.capture_bodies = o.capture_bodies;
    return c;
}

int serve(const mrb::bridge_config& c)
{
    mrb::access_log log(c.log_format_value, c.log_level_value);
    if (!mrb::is_loopback_host(c.listen_host))
        log.write(mrb::log_level::warn,
                  "listening on a non-loopback address: anyone who can reach it can use the Model Runner",
                  {{"listen", c.listen_host}});
    std::unique_ptr<mrb::capture> capture_sink;
    if (!c.capture_file.empty())
    {
        try
        {
            capture_sink = std::make_unique<mrb::capture>(c.capture_file, c.capture_bodies);
        }
        catch (const std::exception& e)
        {
            std::fprintf(stderr, "model-runner-bridge: %s\n", e.what());
            return 2;
        }
    }
    mrb::server srv(c, log, capture_sink.get());
    try
    {
        srv.listen();
    }
    catch (const mrb::listen_error& e)
    {
        std::fprintf(stderr, "model-runner-bridge: %s\n", e.what());
        return 3;
    }
    std::printf("model-runner-bridge listening on %s:%u\n", mrb::bridge_config::bracket(c.listen_host).c_str(),
                static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    log.write(mrb::log_level::info, "relaying",
              {{"listen", mrb::bridge_config::bracket(c.listen_host) + ":" + std::to_string(srv.port())},
               {"target", c.target_authority()},
               {"via", c.direct || !c.proxy ? std::string("direct") : c.proxy->display}});
    srv.run();
    log.write(mrb::log_level::info, "stopped");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"model-runner-bridge: relay from a Docker sandbox, through its HTTP proxy, to Docker Model Runner",
                 "model-runner-bridge"};
    app.set_version_flag("--version", mrb::cli_doc::version_line());
    app.footer(mrb::cli_doc::help_footer());
    app.require_subcommand(0, 1);
    app.fallthrough(); // options are accepted before or after the subcommand

    raw_options raw;
    add_options(app, raw);
    mrb::bridge_config config;
    app.parse_complete_callback([&] { config = resolve(raw); });

    auto* serve_cmd = app.add_subcommand("serve", "Relay requests (the default when no subcommand is given)");
    int exit_code = 0;
#ifdef MRB_HAVE_SETUP
    mrb::setup::add_setup_commands(app, config, exit_code);
#endif
    // Hidden: the man page and completions are generated from this very app (cannot drift from --help).
    app.add_flag_callback("--help-man", [&app] {
           std::cout << mrb::cli_doc::man_page(app);
           throw CLI::Success();
       })->group("");
    app.add_option_function<std::string>("--completion", [&app](const std::string& shell) {
           try
           {
               std::cout << mrb::cli_doc::completion(app, shell);
           }
           catch (const std::invalid_argument& e)
           {
               throw CLI::ValidationError("--completion", e.what());
           }
           throw CLI::Success();
       })->group("");

    try
    {
        app.parse(argc, argv);
    }
    catch (const CLI::ParseError& e)
    {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "model-runner-bridge: %s\n", e.what());
        return 1;
    }

    const auto chosen = app.get_subcommands();
    if (!chosen.empty() && chosen.front() != serve_cmd)
        return exit_code; // a setup subcommand ran in its callback
    try
    {
        return serve(config);
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "model-runner-bridge: internal error: %s\n", e.what());
        return 1;
    }
}
