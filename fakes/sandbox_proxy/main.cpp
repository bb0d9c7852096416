// fake-sandbox-proxy: the fake `docker sandbox network proxy` as a standalone program.
// Prints `listening on 127.0.0.1:<port>` on stdout once bound; runs until SIGINT/SIGTERM.
// Exit codes: 0 stopped by a signal, 2 usage error, 3 cannot listen.

#include "cli_kit.hpp"
#include "fake_sandbox_proxy.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <iostream>

namespace sp = fakes::sandbox_proxy;

int
main(int argc, char** argv)
{
    CLI::App app{"Fake Docker sandbox network proxy: an HTTP/1.1 forward proxy with the policy "
                 "engine, deny replies, credential injection and network log of "
                 "`docker sandbox network proxy`, plus fault injection.\n"
                 "Exit codes: 0 stopped by a signal, 2 usage error, 3 cannot listen."};
    mrb::cli_kit::apply(app, "fake-sandbox-proxy");
    std::string config_file;
    int port = -1;
    std::string mode;
    std::vector<std::string> allow_hosts, block_hosts, block_cidrs, allow_cidrs, bypass_hosts,
        bypass_cidrs, resolve;
    bool no_default_rules = false;
    std::string ties;
    bool cidr_skip_needs_port = false;
    std::string deny_style;
    std::string connect_mode;
    std::string ca_cert_out;
    std::string localhost_order;
    bool cidr_check_overrides = false;
    int upstream_error_status = 0;
    std::string upstream_error_body;
    bool upstream_error_body_set = false;
    std::string sandbox_name;
    std::string network_log;
    bool network_log_json = false;
    std::string refuse;
    int close_after = -1;
    long long idle_close_ms = -1, latency_ms = -1;
    std::chrono::milliseconds idle_close{0}, latency{0};
    bool announce_close = false, buffer_responses = false;
    long long reset_after_bytes = -1;
    long long record_limit = 0;
    long long max_request_body = -1;

    app.add_option("--config", config_file, "JSON options file (schema: docs/fake-sandbox-proxy.md); flags override it");
    app.add_option("--port", port, "Listen port on 127.0.0.1 (default 3128; 0 = ephemeral)")->check(CLI::Range(0, 65535));
    app.add_option("--policy", mode, "Default policy")->check(CLI::IsMember({"allow", "deny"}));
    app.add_option("--allow-host", allow_hosts, "Permit a host: example.com, example.com:443, *.example.com[:443], *:443 (repeatable)");
    app.add_option("--block-host", block_hosts, "Block a host, same forms (repeatable)");
    app.add_option("--block-cidr", block_cidrs, "Block an IP range after resolution (repeatable)");
    app.add_option("--allow-cidr", allow_cidrs, "Remove an IP range from the block and bypass lists (repeatable)");
    app.add_option("--bypass-host", bypass_hosts, "No MITM for this host: plain tunnel, no credentials (repeatable)");
    app.add_option("--bypass-cidr", bypass_cidrs, "No MITM for this range (repeatable)");
    app.add_flag("--no-default-rules", no_default_rules, "Start without the default blocked CIDRs and allowed hosts");
    app.add_option("--ties", ties, "Equal-specificity allow vs block (UNCONFIRMED; default block_wins)")->check(CLI::IsMember({"block_wins", "allow_wins"}));
    app.add_flag("--cidr-skip-needs-port", cidr_skip_needs_port, "Only allow rules with a port skip the CIDR check");
    app.add_option("--deny-style", deny_style, "Denial shape: 403 (sbx, default), 500 (Go text naming the policy), 500_other (Go text that names nothing) or close (no answer)")->check(CLI::IsMember({"403", "500", "sbx", "go", "sbx_403", "go_500", "500_other", "other_500", "close"}));
    app.add_option("--connect", connect_mode, "CONNECT handling: intercept (TLS with the proxy's own CA, credentials injected, default) or tunnel (raw bytes)")->check(CLI::IsMember({"intercept", "tunnel"}));
    app.add_option("--ca-cert-out", ca_cert_out, "Write the interception CA certificate (PEM) to FILE at start, for clients to trust");
    app.add_option("--resolve", resolve, "host[:port]=addr[:port]: send a named host to a local fake (repeatable)");
    app.add_option("--localhost-order", localhost_order, "Which loopback localhost tries first")->check(CLI::IsMember({"ipv4_first", "ipv6_first"}));
    app.add_flag("--cidr-check-overrides", cidr_check_overrides, "Apply CIDR checks to --resolve addresses too");
    app.add_option("--upstream-error-status", upstream_error_status, "Status when the upstream cannot be reached (default 502)")->check(CLI::Range(100, 599));
    app.add_option("--upstream-error-body", upstream_error_body, "Body template for that answer; {error} is the dial error")->each([&](const std::string&) { upstream_error_body_set = true; });
    app.add_option("--sandbox-name", sandbox_name, "Sandbox name in the network log (default sandbox)");
    app.add_option("--network-log", network_log, "Write the network log to FILE");
    app.add_flag("--json", network_log_json, "Network log as the --json document");
    app.add_option("--refuse", refuse, "Fault: refuse clients")->check(CLI::IsMember({"none", "close_on_accept", "stop_listening"}));
    app.add_option("--close-after-requests", close_after, "Fault: close each client connection after N responses")->check(CLI::NonNegativeNumber);
    mrb::cli_kit::add_duration(app, "--idle-close", idle_close, "Fault: close client connections idle this long (e.g. 2s)");
    app.add_option("--idle-close-ms", idle_close_ms, "deprecated: --idle-close in milliseconds")->check(CLI::NonNegativeNumber)->group("");
    app.add_flag("--announce-close", announce_close, "Send Connection: close before a fault close");
    mrb::cli_kit::add_duration(app, "--latency", latency, "Fault: delay before forwarding each request (e.g. 200ms)");
    app.add_option("--latency-ms", latency_ms, "deprecated: --latency in milliseconds")->check(CLI::NonNegativeNumber)->group("");
    app.add_flag("--buffer-responses", buffer_responses, "Fault: buffer whole responses (no streaming)");
    app.add_option("--reset-after-bytes", reset_after_bytes, "Fault: reset the client after N response body bytes")->check(CLI::NonNegativeNumber);

    app.add_option("--max-request-body", max_request_body, "Answer 413 to request bodies over N bytes (default 0 = no limit; bodies stream)")->check(CLI::NonNegativeNumber);
    app.add_option("--record-limit", record_limit, "Requests/log entries kept in memory (default 100000)")->check(CLI::PositiveNumber);

    if(const int rc = mrb::cli_kit::parse(app, argc, argv); rc >= 0)
        return rc;

    sp::proxy_options o;
    try
    {
        if(!config_file.empty())
        {
            std::ifstream in(config_file);
            if(!in)
                throw std::invalid_argument("cannot read " + config_file);
            try
            {
                o = sp::options_from_json(nlohmann::json::parse(in));
            }
            catch(const nlohmann::json::exception& e)
            {
                throw std::invalid_argument("--config " + config_file + ": " + e.what());
            }
        }
        if(port >= 0)
            o.port = static_cast<std::uint16_t>(port);
        if(!mode.empty())
            o.policy.mode = mode == "allow" ? sp::policy_mode::allow : sp::policy_mode::deny;
        auto append = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
            to.insert(to.end(), from.begin(), from.end());
        };
        append(o.policy.allow_hosts, allow_hosts);
        append(o.policy.block_hosts, block_hosts);
        append(o.policy.block_cidrs, block_cidrs);
        append(o.policy.allow_cidrs, allow_cidrs);
        append(o.policy.bypass_hosts, bypass_hosts);
        append(o.policy.bypass_cidrs, bypass_cidrs);
        append(o.resolve, resolve);
        if(no_default_rules)
            o.policy.default_rules = false;
        if(!ties.empty())
            o.policy.ties = ties == "allow_wins" ? sp::tie_break::allow_wins : sp::tie_break::block_wins;
        if(cidr_skip_needs_port)
            o.policy.cidr_skip_needs_port = true;
        if(!deny_style.empty())
            o.deny = sp::parse_deny_style(deny_style);
        if(!connect_mode.empty())
            o.connect = connect_mode == "tunnel" ? sp::connect_mode::tunnel : sp::connect_mode::intercept;
        if(!ca_cert_out.empty())
            o.ca_cert_file = ca_cert_out;
        if(!localhost_order.empty())
            o.localhost = localhost_order == "ipv6_first" ? sp::localhost_order::ipv6_first
                                                          : sp::localhost_order::ipv4_first;
        if(cidr_check_overrides)
            o.cidr_check_overrides = true;
        if(upstream_error_status)
            o.upstream_error.status = static_cast<unsigned>(upstream_error_status);
        if(upstream_error_body_set)
            o.upstream_error.body = upstream_error_body;
        if(!sandbox_name.empty())
            o.sandbox_name = sandbox_name;
        if(!network_log.empty())
            o.network_log_file = network_log;
        if(network_log_json)
            o.network_log_json = true;
        if(!refuse.empty())
            o.faults.refuse = refuse == "close_on_accept" ? sp::refuse_mode::close_on_accept
                : refuse == "stop_listening"              ? sp::refuse_mode::stop_listening
                                                          : sp::refuse_mode::none;
        if(close_after >= 0)
            o.faults.close_after_requests = static_cast<unsigned>(close_after);
        if(app.count("--idle-close"))
            o.faults.idle_close = idle_close;
        else if(idle_close_ms >= 0)
            o.faults.idle_close = std::chrono::milliseconds(idle_close_ms);
        if(announce_close)
            o.faults.announce_close = true;
        if(app.count("--latency"))
            o.faults.latency = latency;
        else if(latency_ms >= 0)
            o.faults.latency = std::chrono::milliseconds(latency_ms);
        if(buffer_responses)
            o.faults.buffer_responses = true;
        if(reset_after_bytes >= 0)
            o.faults.reset_after_bytes = static_cast<std::uint64_t>(reset_after_bytes);
        if(max_request_body >= 0)
            o.max_request_body = static_cast<std::uint64_t>(max_request_body);
        if(record_limit > 0)
            o.record_limit = static_cast<std::size_t>(record_limit);
        // Validate rules and overrides now: a usage error, not a runtime one.
        sp::policy check_rules(o.policy);
        sp::resolver check_names;
        for(auto const& r : o.resolve)
            check_names.add_override(r);
    }
    catch(const std::exception& e)
    {
        return mrb::cli_kit::usage_error("fake-sandbox-proxy", e.what());
    }

    // Block the stop signals before any thread starts, then wait for one.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<sp::fake_sandbox_proxy> proxy;
    try
    {
        proxy = std::make_unique<sp::fake_sandbox_proxy>(o); // writes --network-log / --ca-cert-out
    }
    catch(const std::exception& e)
    {
        return mrb::cli_kit::usage_error("fake-sandbox-proxy", e.what());
    }
    try
    {
        proxy->start();
    }
    catch(const std::exception& e)
    {
        std::cerr << "fake-sandbox-proxy: " << mrb::cli_kit::cannot_listen("127.0.0.1", o.port, e.what()) << "\n";
        return 3;
    }
    std::cout << "listening on 127.0.0.1:" << proxy->port() << std::endl;

    int sig = 0;
    sigwait(&signals, &sig);
    proxy->stop();
    return 0;
}
