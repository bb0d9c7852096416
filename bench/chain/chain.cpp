#include "chain.hpp"

#include "load/load_client.hpp"

#include <arpa/inet.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace mrb::bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::uint16_t pick_free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (fd >= 0) ::close(fd);
        throw std::runtime_error("cannot pick a free port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (ok) return true;
        ::poll(nullptr, 0, 2);  // the peer is still starting; retry until the deadline
    }
    return false;
}

std::uint16_t port_from_line(const std::string& line) {
    auto colon = line.rfind(':');
    if (colon == std::string::npos) return 0;
    try {
        std::size_t used = 0;
        int p = std::stoi(line.substr(colon + 1), &used);
        return p > 0 && p < 65536 ? static_cast<std::uint16_t>(p) : 0;
    } catch (...) {
        return 0;
    }
}

namespace {

double ms_since(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

chain::chain(chain_settings settings) : settings_(std::move(settings)) {
    fs::create_directories(settings_.work_dir);
}

chain::~chain() = default;

std::string chain::log_path(const std::string& name) const { return settings_.work_dir + "/" + name + ".log"; }

std::unique_ptr<component> chain::start_upstream() {
    auto c = std::make_unique<component>();
    c->name = "stand-in";
    c->kind = hop_kind::upstream;
    c->process = std::make_unique<child_process>(
        child_options{{settings_.self_exe, "upstream"}, {}, false, log_path("stand-in")});
    auto line = c->process->wait_for_line("listening on", settings_.start_timeout);
    if (!line) throw std::runtime_error("the upstream stand-in did not start; see " + log_path("stand-in"));
    c->port = port_from_line(*line);
    c->ready_ms = ms_since(c->process->started_at(), c->process->line_seen_at());
    return c;
}

std::unique_ptr<component> chain::start_bare_relay() {
    auto c = std::make_unique<component>();
    c->name = "bare-relay";
    c->kind = hop_kind::bare_relay;
    c->process = std::make_unique<child_process>(child_options{
        {settings_.self_exe, "relay", "--target-port", std::to_string(upstream_->port), "--port", "0"},
        {},
        false,
        log_path("bare-relay")});
    auto line = c->process->wait_for_line("listening on", settings_.start_timeout);
    if (!line) throw std::runtime_error("the bare relay did not start; see " + log_path("bare-relay"));
    c->port = port_from_line(*line);
    c->ready_ms = ms_since(c->process->started_at(), c->process->line_seen_at());
    return c;
}

std::unique_ptr<component> chain::start_fake_runner() {
    if (settings_.fake_runner_exe.empty() || !fs::exists(settings_.fake_runner_exe)) return nullptr;
    auto c = std::make_unique<component>();
    c->name = "fake-model-runner";
    c->kind = hop_kind::upstream;
    c->process = std::make_unique<child_process>(
        // No prefill wait: the bench measures the relay, and every row shares this runner.
        child_options{{settings_.fake_runner_exe, "--port", "0", "--prefill-rate", "0"}, {}, false,
                      log_path("fake-model-runner")});
    auto line = c->process->wait_for_line("listening on", settings_.start_timeout);
    if (!line) return nullptr;
    c->port = port_from_line(*line);
    c->ready_ms = ms_since(c->process->started_at(), c->process->line_seen_at());
    return c;
}

std::unique_ptr<component> chain::start_fake_proxy() {
    const std::string cfg = settings_.work_dir + "/fake-proxy.json";
    {
        std::ofstream out(cfg);
        out << R"({"port":0,"policy":{"allow_hosts":["localhost:)" << upstream_->port << R"("]}})" << "\n";
    }
    auto c = std::make_unique<component>();
    c->name = "fake-sandbox-proxy";
    c->kind = hop_kind::fake_proxy;
    c->process = std::make_unique<child_process>(
        child_options{{settings_.fake_proxy_exe, "--config", cfg}, {}, false, log_path("fake-proxy")});
    auto line = c->process->wait_for_line("listening on", settings_.start_timeout);
    if (!line) throw std::runtime_error("fake-sandbox-proxy did not start; see " + log_path("fake-proxy"));
    c->port = port_from_line(*line);
    c->ready_ms = ms_since(c->process->started_at(), c->process->line_seen_at());
    return c;
}

std::unique_ptr<component> chain::start_squid() {
    const std::string run = settings_.work_dir + "/squid";
    fs::create_directories(run);
    if (::geteuid() == 0) {
        // Started as root, Squid drops to `proxy`; its run folder must stay writable.
        if (passwd* pw = ::getpwnam("proxy")) {
            if (::chown(run.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown " + run);
        }
    }
    const std::uint16_t port = pick_free_port();
    const std::string conf = run + "/squid.conf";
    {
        std::ofstream out(conf);
        out << "http_port 127.0.0.1:" << port << "\n"
            << "visible_hostname bench-squid\n"
            << "pid_filename " << run << "/squid.pid\n"
            << "cache_log " << run << "/cache.log\n"
            << "access_log none\n"
            << "cache_store_log none\n"
            << "cache deny all\n"
            << "cache_mem 0 MB\n"
            << "pinger_enable off\n"
            << "dns_nameservers 127.0.0.1\n"
            << "shutdown_lifetime 1 seconds\n"
            << "max_filedescriptors 65536\n"
            << "acl model_host dstdomain -n localhost 127.0.0.1\n"
            << "acl model_port port " << upstream_->port << "\n"
            << "http_access allow model_host model_port\n"
            << "http_access deny all\n";
    }
    auto c = std::make_unique<component>();
    c->name = "squid";
    c->kind = hop_kind::squid;
    c->process = std::make_unique<child_process>(
        child_options{{settings_.squid_exe, "-N", "-d", "1", "-f", conf}, {}, true, log_path("squid")});
    if (!wait_for_port(port, settings_.start_timeout))
        throw std::runtime_error("squid did not start; see " + run + "/cache.log and " + log_path("squid"));
    c->port = port;
    c->ready_ms = ms_since(c->process->started_at(), std::chrono::steady_clock::now());
    return c;
}

std::unique_ptr<component> chain::start_bridge(const std::string& name, bool direct, std::uint16_t proxy_port,
                                               const std::vector<std::string>& prefix,
                                               std::chrono::milliseconds timeout, bool metrics) {
    std::vector<std::string> argv = prefix;
    argv.push_back(settings_.bridge_exe);
    argv.insert(argv.end(), {"--listen", "127.0.0.1:0", "--target", "localhost:" + std::to_string(upstream_->port)});
    if (direct) {
        argv.push_back("--direct");
    } else {
        argv.insert(argv.end(), {"--proxy", "http://127.0.0.1:" + std::to_string(proxy_port)});
    }
    // Limits above the workloads: 10,000 open streams and 100 MB uploads are what is measured.
    argv.insert(argv.end(), {"--max-connections", "30000", "--max-body-bytes", "4294967296"});
    // Metrics are counted unless the admin listener is off; an ephemeral admin port each.
    argv.insert(argv.end(), {"--admin-listen", metrics ? "127.0.0.1:0" : "off"});
    argv.insert(argv.end(), settings_.bridge_extra_args.begin(), settings_.bridge_extra_args.end());
    auto c = std::make_unique<component>();
    c->name = name;
    c->kind = hop_kind::bridge;
    c->process = std::make_unique<child_process>(child_options{argv, {}, false, log_path(name)});
    auto line = c->process->wait_for_line("model-runner-bridge listening on", timeout);
    if (!line) throw std::runtime_error(name + " did not print its ready line; see " + log_path(name) + "; it said: " +
                                 c->process->seen_lines());
    c->port = port_from_line(*line);
    c->ready_ms = ms_since(c->process->started_at(), c->process->line_seen_at());
    return c;
}

std::unique_ptr<component> chain::start_seed(const std::string& name, std::uint16_t proxy_port) {
    const std::uint16_t port = pick_free_port();
    auto c = std::make_unique<component>();
    c->name = name;
    c->kind = hop_kind::seed;
    c->process = std::make_unique<child_process>(child_options{
        {settings_.node_exe, settings_.seed_js},
        {"HTTP_PROXY=http://127.0.0.1:" + std::to_string(proxy_port), "BRIDGE_PORT=" + std::to_string(port),
         "BRIDGE_HOST=127.0.0.1", "TARGET=localhost:" + std::to_string(upstream_->port)},
        true,
        log_path(name)});
    if (!c->process->wait_for_line("listening on", settings_.start_timeout))
        throw std::runtime_error(name + " did not start; see " + log_path(name) + "; it said: " +
                                 c->process->seen_lines());
    c->port = port;
    c->ready_ms = ms_since(c->process->started_at(), c->process->line_seen_at());
    return c;
}

void chain::start() {
    upstream_ = start_upstream();
    fake_proxy_ = start_fake_proxy();
    if (settings_.with_squid) squid_ = start_squid();
    bare_relay_ = start_bare_relay();

    auto add_entry = [&](std::unique_ptr<component> c) {
        entries_.push_back(std::move(c));
        return entries_.back().get();
    };
    component* bridge_fake = add_entry(start_bridge("bridge-fake", false, fake_proxy_->port));
    component* bridge_direct = add_entry(start_bridge("bridge-direct", true, 0));
    component* bridge_quiet =
        add_entry(start_bridge("bridge-direct-nometrics", true, 0, {}, std::chrono::milliseconds(10000), false));
    component* bridge_squid = squid_ ? add_entry(start_bridge("bridge-squid", false, squid_->port)) : nullptr;
    component* seed_fake = settings_.with_seed ? add_entry(start_seed("seed-fake", fake_proxy_->port)) : nullptr;
    component* seed_squid =
        settings_.with_seed && squid_ ? add_entry(start_seed("seed-squid", squid_->port)) : nullptr;
    // The seed bridge pointed straight at the stand-in (it sends absolute-form, which the
    // stand-in accepts): its "--direct" figure, the same path as e.
    component* seed_direct = settings_.with_seed ? add_entry(start_seed("seed-direct", upstream_->port)) : nullptr;

    paths_.push_back({"a", "direct", upstream_->port, false, nullptr, ""});
    paths_.push_back({"b", "fake-proxy", fake_proxy_->port, true, nullptr, "a"});
    if (squid_) paths_.push_back({"b'", "squid", squid_->port, true, nullptr, "a"});
    paths_.push_back({"c", "bridge+fake-proxy", bridge_fake->port, false, bridge_fake, "b"});
    if (bridge_squid) paths_.push_back({"c'", "bridge+squid", bridge_squid->port, false, bridge_squid, "b'"});
    if (seed_fake) paths_.push_back({"d", "seed+fake-proxy", seed_fake->port, false, seed_fake, "b"});
    if (seed_squid) paths_.push_back({"d'", "seed+squid", seed_squid->port, false, seed_squid, "b'"});
    paths_.push_back({"e", "bridge-direct", bridge_direct->port, false, bridge_direct, "a"});
    if (seed_direct) paths_.push_back({"f", "seed-direct", seed_direct->port, false, seed_direct, "a"});
    // Last, so the other paths keep their places (and chart colours) from earlier runs.
    paths_.push_back({"r", "bare-relay", bare_relay_->port, false, nullptr, "a", bare_relay_.get()});
    // The same bridge as e with --admin-listen off: e against m is what counting metrics costs.
    paths_.push_back({"m", "bridge-direct-nometrics", bridge_quiet->port, false, bridge_quiet, "a"});
}

void chain::release_held_streams() {
    load_spec s;
    s.port = upstream_->port;
    s.request_head = make_request_head("GET", "/bench/release", "localhost", 0, false);
    s.requests_per_connection = 1;
    s.request_timeout = 5s;
    run_load(s);
}

}  // namespace mrb::bench
