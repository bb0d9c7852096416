// model-runner-bridge: relays OpenAI-style requests from inside a Docker sandbox through the
// sandbox's HTTP proxy to Docker Model Runner on the host. Default subcommand: serve.

#include "admin_handlers.hpp"
#include "cli_doc.hpp"
#include "cli_kit.hpp"
#include "core/bridge_config.hpp"
#include "core/chat_error.hpp"
#include "core/proxy_url.hpp"
#include "net/access_log.hpp"
#include "net/admin_server.hpp"
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

#include <netdb.h>

namespace {

// Flag values before resolution; every default comes from bridge_config, written once there.
struct raw_options
{
    mrb::bridge_config defaults;
    std::string listen = mrb::bridge_config::bracket(defaults.listen_host) + ":" + std::to_string(defaults.listen_port);
    std::string target = mrb::bridge_config::bracket(defaults.target_host) + ":" + std::to_string(defaults.target_port);
    std::optional<std::string> proxy;
    bool direct = defaults.direct;
    unsigned threads = defaults.threads;
    std::chrono::milliseconds connect_timeout = defaults.connect_timeout;
    std::chrono::milliseconds response_header_timeout = defaults.response_header_timeout;
    std::chrono::milliseconds body_idle_timeout = defaults.body_idle_timeout;
    std::chrono::milliseconds client_header_timeout = defaults.client_header_timeout;
    std::chrono::milliseconds keep_alive_timeout = defaults.keep_alive_idle;
    std::chrono::milliseconds upstream_idle_timeout = defaults.upstream_idle;
    std::chrono::milliseconds drain_timeout = defaults.drain_timeout;
    std::size_t max_header_bytes = defaults.header_limit;
    std::uint64_t max_body_bytes = defaults.request_body_limit;
    std::uint64_t replay_limit = defaults.replay_limit;
    std::size_t max_connections = defaults.max_connections;
    std::string log_format = defaults.log_format_value == mrb::log_format::json ? "json" : "text";
    std::string log_level = "info";
    std::string admin_listen = mrb::bridge_config::bracket(defaults.admin_host) + ":" + std::to_string(defaults.admin_port);
    bool allow_remote_admin = false;
    std::chrono::milliseconds readiness_cache = defaults.readiness_cache;
    std::string error_delivery{to_string(defaults.error_delivery_mode)};
    std::string capture = defaults.capture_file;
    bool capture_bodies = defaults.capture_bodies;
    std::vector<std::string> argv; // to tell a flag from its environment variable in errors
};

void add_options(CLI::App& app, raw_options& o)
{
    app.add_option("--listen", o.listen,
                   "Address to listen on (host:port, or a bare port meaning 127.0.0.1:PORT; port 0 picks a free one)")
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
    mrb::cli_kit::add_duration(app, "--connect-timeout", o.connect_timeout, "Timeout to connect to the proxy")->envname("MRB_CONNECT_TIMEOUT");
    mrb::cli_kit::add_duration(app, "--response-header-timeout", o.response_header_timeout, "Wait for response headers (Model Runner loads models for up to ~300 s)")->envname("MRB_RESPONSE_HEADER_TIMEOUT");
    mrb::cli_kit::add_duration(app, "--idle-timeout", o.body_idle_timeout, "Idle time allowed between body bytes, either way")->envname("MRB_IDLE_TIMEOUT");
    mrb::cli_kit::add_duration(app, "--client-header-timeout", o.client_header_timeout, "Deadline for a client's whole request head")->envname("MRB_CLIENT_HEADER_TIMEOUT");
    mrb::cli_kit::add_duration(app, "--keep-alive-timeout", o.keep_alive_timeout, "Idle client connection lifetime between requests")->envname("MRB_KEEP_ALIVE_TIMEOUT");
    mrb::cli_kit::add_duration(app, "--upstream-idle-timeout", o.upstream_idle_timeout, "Longest a pooled proxy connection is kept idle (keep below the proxy's own)")->envname("MRB_UPSTREAM_IDLE_TIMEOUT");
    mrb::cli_kit::add_duration(app, "--drain-timeout", o.drain_timeout, "On SIGTERM/SIGINT, time given to in-flight requests")->envname("MRB_DRAIN_TIMEOUT");
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
    app.add_option("--admin-listen", o.admin_listen,
                   "Admin listener for /healthz, /readyz, /metrics and `status` (host:port, a bare port, or off)")
        ->envname("MRB_ADMIN_LISTEN")
        ->capture_default_str();
    mrb::cli_kit::add_duration(app, "--readiness-cache", o.readiness_cache,
                               "How long /readyz reuses one probe of the chain")->envname("MRB_READINESS_CACHE");
    app.add_flag("--allow-remote-admin", o.allow_remote_admin,
                 "Let --admin-listen take a non-loopback address (the metrics name your models and traffic)");
    app.add_option("--error-delivery", o.error_delivery,
                   "How a proxy denial or refused proxy login reaches a chat completion: chat (an assistant "
                   "reply carrying the message and the fix, which OpenClaw shows) or status (the HTTP error; "
                   "OpenClaw then shows only its status)")
        ->envname("MRB_ERROR_DELIVERY")->capture_default_str()->check(CLI::IsMember({"chat", "status"}));
    app.add_option("--capture", o.capture, "Write one JSON line per exchange to FILE (docs/capture.md)")
        ->envname("MRB_CAPTURE");
    app.add_flag("--capture-bodies", o.capture_bodies, "Include body bytes in the capture");
}

// The name to blame for a bad value: the flag when it is on the command line, else its variable.
std::string source_of(const raw_options& o, const std::string& flag, const char* env)
{
    for (const auto& a : o.argv)
        if (a == flag || a.rfind(flag + "=", 0) == 0)
            return flag;
    return env != nullptr && std::getenv(env) != nullptr ? std::string(env) : flag;
}

// Whether the flag is on the command line or its variable is set.
bool given(const raw_options& o, const std::string& flag, const char* env)
{
    for (const auto& a : o.argv)
        if (a == flag || a.rfind(flag + "=", 0) == 0)
            return true;
    return std::getenv(env) != nullptr;
}

// "54321" alone is a port on loopback, not a host name.
std::string listen_text(const std::string& text)
{
    const bool bare_port = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    return bare_port ? "127.0.0.1:" + text : text;
}

mrb::bridge_config resolve(const raw_options& o)
{
    mrb::bridge_config c;
    try
    {
        const auto listen = mrb::parse_host_port(listen_text(o.listen), o.defaults.listen_port, true);
        c.listen_host = listen.host;
        c.listen_port = listen.port;
    }
    catch (const std::invalid_argument& e)
    {
        throw CLI::ValidationError(source_of(o, "--listen", "MRB_LISTEN"), e.what());
    }
    try
    {
        const auto target = mrb::parse_host_port(o.target, o.defaults.target_port, false);
        c.target_host = target.host;
        c.target_port = target.port;
    }
    catch (const std::invalid_argument& e)
    {
        throw CLI::ValidationError(source_of(o, "--target", "MRB_TARGET"), e.what());
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
    c.connect_timeout = o.connect_timeout;
    c.response_header_timeout = o.response_header_timeout;
    c.body_idle_timeout = o.body_idle_timeout;
    c.client_header_timeout = o.client_header_timeout;
    c.keep_alive_idle = o.keep_alive_timeout;
    c.upstream_idle = o.upstream_idle_timeout;
    c.drain_timeout = o.drain_timeout;
    c.header_limit = o.max_header_bytes;
    c.request_body_limit = o.max_body_bytes;
    c.replay_limit = o.replay_limit;
    c.max_connections = o.max_connections;
    c.log_format_value = o.log_format == "json" ? mrb::log_format::json : mrb::log_format::text;
    c.log_level_value = o.log_level == "debug"  ? mrb::log_level::debug
                        : o.log_level == "warn" ? mrb::log_level::warn
                        : o.log_level == "error" ? mrb::log_level::error
                                                 : mrb::log_level::info;
    c.error_delivery_mode = *mrb::parse_error_delivery(o.error_delivery); // checked by IsMember
    c.capture_file = o.capture;
    c.capture_bodies = o.capture_bodies;
    c.admin_enabled = o.admin_listen != "off";
    c.readiness_cache = o.readiness_cache;
    if (c.admin_enabled)
    {
        try
        {
            const auto admin = mrb::parse_host_port(listen_text(o.admin_listen), o.defaults.admin_port, true);
            c.admin_host = admin.host;
            c.admin_port = admin.port;
        }
        catch (const std::invalid_argument& e)
        {
            throw CLI::ValidationError(source_of(o, "--admin-listen", "MRB_ADMIN_LISTEN"), e.what());
        }
        if (!mrb::is_loopback_host(c.admin_host) && !o.allow_remote_admin)
            throw CLI::ValidationError(source_of(o, "--admin-listen", "MRB_ADMIN_LISTEN"),
                                       "'" + c.admin_host + "' is not a loopback address (add --allow-remote-admin to expose it)");
    }
    return c;
}

// A proxy whose name does not resolve (the bridge started outside a sandbox, where
// host.docker.internal does not exist) is worth a warning at start-up rather than a 502 at the
// first request. Only the name is looked up: a connection or a request would show up in the
// proxy's log as traffic nobody sent.
void warn_if_proxy_unresolvable(const mrb::bridge_config& c, mrb::access_log& log)
{
    if (!c.via_proxy())
        return;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(c.proxy->host.c_str(), nullptr, &hints, &found);
    if (found != nullptr)
        ::freeaddrinfo(found);
    if (rc != 0)
        log.write(mrb::log_level::warn, "the proxy's name does not resolve: requests will fail until it does",
                  {{"proxy", c.proxy->display},
                   {"error", ::gai_strerror(rc)},
                   {"fix", "run the bridge inside the Docker sandbox, or pass --proxy with a reachable address"}});
}

int serve(const mrb::bridge_config& c, bool explicit_admin)
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
    warn_if_proxy_unresolvable(c, log);
    mrb::server srv(c, log, capture_sink.get());
    try
    {
        srv.listen();
    }
    catch (const mrb::listen_error& e)
    {
        std::fprintf(stderr, "model-runner-bridge: %s\n", e.what());
        return 3; // listen_error already names the address and the reason on one line
    }
    mrb::admin_state state(c, srv);
    int admin_exit = 0;
    const auto admin = mrb::start_admin(c, state, log, explicit_admin, admin_exit);
    if (admin_exit != 0)
        return admin_exit;
    std::printf("model-runner-bridge listening on %s:%u\n", mrb::bridge_config::bracket(c.listen_host).c_str(),
                static_cast<unsigned>(srv.port()));
    if (admin)
        std::printf("model-runner-bridge admin at %s:%u\n", mrb::bridge_config::bracket(c.admin_host).c_str(),
                    static_cast<unsigned>(admin->port()));
    std::fflush(stdout);
    log.write(mrb::log_level::info, "relaying",
              {{"listen", mrb::bridge_config::bracket(c.listen_host) + ":" + std::to_string(srv.port())},
               {"target", c.target_authority()},
               {"via", c.via_proxy() ? c.proxy->display : std::string("direct")},
               {"admin", admin ? mrb::bridge_config::bracket(c.admin_host) + ":" + std::to_string(admin->port())
                               : std::string("off")}});
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
    mrb::cli_kit::apply(app, "model-runner-bridge");
    app.footer(mrb::cli_doc::help_footer());
    app.require_subcommand(0, 1);
    app.fallthrough(); // options are accepted before or after the subcommand

    raw_options raw;
    raw.argv.assign(argv + 1, argv + argc);
    add_options(app, raw);
    mrb::bridge_config config;
    app.parse_complete_callback([&] { config = resolve(raw); });

    auto* serve_cmd = app.add_subcommand("serve", "Relay requests (the default when no subcommand is given)");
    mrb::status_options status_opts;
    auto* status_cmd = app.add_subcommand(
        "status", "Show what the running bridge is doing: readiness, requests and errors by hop, per-model speed");
    status_cmd->add_flag("--watch", status_opts.watch, "Refresh in place until interrupted");
    status_cmd->add_flag("--json", status_opts.json, "Print the figures as JSON (one object per refresh)");
    mrb::cli_kit::add_duration(*status_cmd, "--interval", status_opts.interval, "Time between refreshes with --watch");
    status_cmd->add_option("--iterations", status_opts.iterations, "With --watch: stop after this many refreshes")
        ->group("");
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

    // Subcommand --help lists the global flags it accepts too.
    const std::string globals = mrb::cli_doc::global_options_block(app);
    for (auto* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); }))
        sub->footer(globals + mrb::cli_doc::help_footer());

    try
    {
        if (const int rc = mrb::cli_kit::parse(app, argc, argv); rc >= 0)
            return rc;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "model-runner-bridge: %s\n", e.what());
        return 1;
    }

    const auto chosen = app.get_subcommands();
    if (!chosen.empty() && chosen.front() == status_cmd)
        return mrb::show_status(config, status_opts);
    if (!chosen.empty() && chosen.front() != serve_cmd)
        return exit_code; // a setup subcommand ran in its callback
    try
    {
        return serve(config, given(raw, "--admin-listen", "MRB_ADMIN_LISTEN"));
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "model-runner-bridge: internal error: %s\n", e.what());
        return 1;
    }
}
