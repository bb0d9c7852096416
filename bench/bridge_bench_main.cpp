// bridge-bench: what model-runner-bridge costs, side by side with the direct path, a bare relay hop,
// the proxies alone and the seed bridge (issue 6). `bridge-bench --help`; docs/performance.md.
#include "bench_runner.hpp"
#include "load/load_client.hpp"
#include "relay/bare_relay.hpp"
#include "report/report.hpp"
#include "upstream/upstream_stub.hpp"

#include "cli_kit.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef MRB_BENCH_BRIDGE_EXE
#define MRB_BENCH_BRIDGE_EXE ""
#endif
#ifndef MRB_BENCH_FAKE_PROXY_EXE
#define MRB_BENCH_FAKE_PROXY_EXE ""
#endif
#ifndef MRB_BENCH_FAKE_RUNNER_EXE
#define MRB_BENCH_FAKE_RUNNER_EXE ""
#endif
#ifndef MRB_BENCH_SEED_JS
#define MRB_BENCH_SEED_JS ""
#endif
#ifndef MRB_BENCH_BUILD_TYPE
#define MRB_BENCH_BUILD_TYPE "unknown"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace mrb::bench;

namespace {

void raise_fd_limit() {
    rlimit r{};
    getrlimit(RLIMIT_NOFILE, &r);
    rlimit want{65536, 65536};
    if (setrlimit(RLIMIT_NOFILE, &want) != 0) {  // not root: the hard limit is the ceiling
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

std::string read_first(const std::string& file, const std::string& key) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) {
            auto c = line.find(':');
            std::string v = c == std::string::npos ? line : line.substr(c + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return "";
}

json machine_info() {
    utsname u{};
    uname(&u);
    char t[64];
    std::time_t now = std::time(nullptr);
    std::strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return {{"date", t},
            {"cpu", read_first("/proc/cpuinfo", "model name")},
            {"cpus_online", sysconf(_SC_NPROCESSORS_ONLN)},
            {"memory", read_first("/proc/meminfo", "MemTotal")},
            {"kernel", std::string(u.sysname) + " " + u.release},
            {"load_average_at_start", read_first("/proc/loadavg", "")},
            {"build_type", MRB_BENCH_BUILD_TYPE}};
}

// Whether `exe` (a path, or a name looked up on PATH) can be run: without Node the seed paths are left out.
bool runnable(const std::string& exe) {
    if (exe.find('/') != std::string::npos) return ::access(exe.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string rest = path ? path : "";
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string dir = rest.substr(0, colon);
        rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
        if (!dir.empty() && ::access((fs::path(dir) / exe).c_str(), X_OK) == 0) return true;
    }
    return false;
}

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

// Replaces the text between the bench markers of `doc_file` (keeps the hand-written parts).
void update_doc(const std::string& doc_file, const std::string& generated) {
    const std::string begin = "<!-- bench:begin -->", end = "<!-- bench:end -->";
    std::string text;
    {
        std::ifstream in(doc_file);
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
    }
    auto b = text.find(begin), e = text.find(end);
    if (b == std::string::npos || e == std::string::npos || e < b) {
        text += "\n" + begin + "\n" + generated + "\n" + end + "\n";
    } else {
        text = text.substr(0, b + begin.size()) + "\n" + generated + "\n" + text.substr(e);
    }
    std::ofstream(doc_file) << text;
}

// The smoke check: every path ran every workload and produced numbers. Nothing about speed.
int smoke_verdict(const json& doc) {
    int failures = 0;
    for (const auto& w : doc["workloads"]) {
        for (const auto& p : doc["paths"]) {
            const std::string wid = w["id"], pid = p["id"];
            const json* m = field(doc, "results").contains(wid) && doc["results"][wid].contains(pid)
                                ? &doc["results"][wid][pid]
                                : nullptr;
            std::uint64_t ok = 0;
            if (m)
                for (const auto& r : (*m)["rounds"]) ok += r.value("ok", 0ull);
            const bool has_numbers = m && ok > 0 && (*m)["median"].value("p50_us", 0.0) > 0;
            const bool sse_ok = wid != "sse" || (m && (*m)["median"].value("events_total", 0ull) > 0);
            if (!has_numbers || !sse_ok) {
                std::cerr << "smoke: no numbers for workload " << wid << " on path " << pid << " "
                          << p.value("name", "") << "\n";
                ++failures;
            }
        }
    }
    for (const auto& s : field(doc, "scale")) {
        if (s.value("ok", 0) == 0) {
            std::cerr << "smoke: open-stream run produced nothing on " << s.value("path_name", "") << "\n";
            ++failures;
        }
    }
    if (doc.contains("startup") && doc["startup"].value("ready_ms_median", 0.0) <= 0) {
        std::cerr << "smoke: no start-up figure\n";
        ++failures;
    }
    return failures;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    CLI::App app{"bridge-bench: model-runner-bridge side by side with the direct path, the proxies and the seed bridge\n"
                 "Exit codes: 0 done, 1 a run or --smoke check failed, 2 usage error, 3 cannot listen."};
    mrb::cli_kit::apply(app, "bridge-bench");
    app.require_subcommand(0, 1);

    std::uint16_t upstream_port = 0;
    auto* up = app.add_subcommand("upstream", "serve the Model Runner stand-in (prints its ready line)");
    up->add_option("--port", upstream_port, "port on 127.0.0.1 (0: ephemeral)");

    std::uint16_t relay_target = 0, relay_port = 0;
    auto* rl = app.add_subcommand("relay", "serve the bare TCP relay to 127.0.0.1:TARGET (path r; prints its ready line)");
    rl->add_option("--target-port", relay_target, "port on 127.0.0.1 to relay to")->required();
    rl->add_option("--port", relay_port, "port on 127.0.0.1 (0: ephemeral)");

    load_spec ls;
    std::string load_target = "/engines/llama.cpp/v1/chat/completions", load_method = "GET";
    std::chrono::milliseconds load_duration{1000};
    int load_ms = -1;
    auto* ld = app.add_subcommand("load", "one load run against 127.0.0.1:PORT (to measure a single hop by hand)");
    ld->add_option("--port", ls.port)->required();
    ld->add_option("--target", load_target, "request target (origin- or absolute-form)")->capture_default_str();
    ld->add_option("--method", load_method)->capture_default_str();
    ld->add_option("-c,--connections", ls.connections)->capture_default_str();
    mrb::cli_kit::add_duration(*ld, "--duration", load_duration, "length of the run (e.g. 1s)");
    ld->add_option("--duration-ms", load_ms, "deprecated: --duration in milliseconds")->group("");
    ld->add_option("--upload", ls.upload_bytes, "request body bytes");

    bench_options o;
    o.chain.bridge_exe = MRB_BENCH_BRIDGE_EXE;
    o.chain.fake_proxy_exe = MRB_BENCH_FAKE_PROXY_EXE;
    o.chain.fake_runner_exe = MRB_BENCH_FAKE_RUNNER_EXE;
    o.chain.seed_js = MRB_BENCH_SEED_JS;
    o.chain.work_dir = (fs::temp_directory_path() / ("bridge-bench-" + std::to_string(getpid()))).string();
    std::string out_json, out_md, out_svg, doc_file;
    std::chrono::milliseconds window{1000};
    int window_ms = -1, big_mb = 100;
    bool no_squid = false, no_seed = false;
    std::vector<int> scale;
    bool scale_set = false;
    app.add_option("--bridge", o.chain.bridge_exe, "model-runner-bridge binary")->capture_default_str();
    app.add_option("--fake-proxy", o.chain.fake_proxy_exe, "fake-sandbox-proxy binary")->capture_default_str();
    app.add_option("--fake-runner", o.chain.fake_runner_exe, "fake-model-runner binary (measured direct once)")->capture_default_str();
    app.add_option("--seed", o.chain.seed_js, "the seed bridge script (the article's Node bridge)")->capture_default_str();
    app.add_option("--node", o.chain.node_exe, "node binary")->capture_default_str();
    app.add_option("--squid", o.chain.squid_exe, "squid binary")->capture_default_str();
    app.add_option("--bridge-arg", o.chain.bridge_extra_args, "extra flag for every bridge started (repeatable)");
    app.add_option("--work-dir", o.chain.work_dir, "logs and generated configs")->capture_default_str();
    app.add_option("--rounds", o.rounds, "rounds over all paths")->capture_default_str();
    mrb::cli_kit::add_duration(app, "--window", window, "measured window per timed workload (e.g. 700ms)");
    app.add_option("--window-ms", window_ms, "deprecated: --window in milliseconds")->group("");
    app.add_option("--big-mb", big_mb, "large body size, MB (2^20 bytes)")->capture_default_str();
    app.add_option("--scale", scale, "open-stream levels (default 1000 10000)");
    app.add_option("--workloads", o.only_workloads, "comma list of workloads (small_c1,small_c32,sse,down_big,up_big)");
    app.add_option("--startup-runs", o.startup_runs, "fresh bridges for start-up and idle RSS")->capture_default_str();
    app.add_option("--callgrind-requests", o.callgrind_requests, "0: skip callgrind")->capture_default_str();
    app.add_option("--strace-requests", o.strace_requests, "0: skip strace")->capture_default_str();
    app.add_flag("--no-squid", no_squid, "leave out the Squid paths");
    app.add_flag("--no-seed", no_seed, "leave out the seed bridge paths");
    app.add_flag("--smoke", o.smoke, "a few seconds: every path, tiny workloads; fails only if a path produced no numbers");
    app.add_option("--json", out_json, "write the result document here");
    app.add_option("--markdown", out_md, "write the Markdown tables here");
    app.add_option("--svg", out_svg, "write the latency chart here");
    app.add_option("--update-doc", doc_file, "replace the generated part of this Markdown file (docs/performance.md)");
    if (const int rc = mrb::cli_kit::parse(app, argc, argv); rc >= 0)
        return rc;
    if (window_ms >= 0 && !app.count("--window"))
        window = std::chrono::milliseconds(window_ms);
    if (load_ms >= 0 && !ld->count("--duration"))
        load_duration = std::chrono::milliseconds(load_ms);

    if (up->parsed()) {
        upstream_stub stub(upstream_port);
        stub.listen();
        std::cout << "listening on 127.0.0.1:" << stub.port() << std::endl;
        stub.run_in_this_thread();
        return 0;
    }

    if (rl->parsed()) {
        try {
            bare_relay relay(relay_target, relay_port);
            relay.listen();
            std::cout << "bare relay listening on 127.0.0.1:" << relay.port() << std::endl;
            relay.run_in_this_thread();  // until a signal ends the process
        } catch (const std::exception& e) {
            std::cerr << "bridge-bench relay: " << mrb::cli_kit::cannot_listen("127.0.0.1", relay_port, e.what()) << "\n";
            return 3;
        }
        return 0;
    }

    if (ld->parsed()) {
        ls.request_head = make_request_head(load_method, load_target, "localhost", ls.upload_bytes, ls.upload_bytes > 0);
        ls.duration = load_duration;
        ls.warmup = std::chrono::milliseconds(100);
        ls.read_buffer = 256 * 1024;
        auto r = run_load(ls);
        std::cout << "ok " << r.ok << " errors " << r.errors << " " << r.first_error << "\n"
                  << "req/s " << r.requests_per_second() << " p50 " << r.latency.percentile(0.5) / 1e3 << " us p99 "
                  << r.latency.percentile(0.99) / 1e3 << " us p99.9 " << r.latency.percentile(0.999) / 1e3 << " us\n"
                  << "events " << r.events << " coalesced " << r.coalesced << " event delay p50 "
                  << r.event_delay.percentile(0.5) / 1e3 << " us p99 " << r.event_delay.percentile(0.99) / 1e3
                  << " us, first event p50 " << r.first_event.percentile(0.5) / 1e3 << " us\n"
                  << "body bytes in " << r.body_bytes_in << " out " << r.bytes_out << " in " << r.seconds << " s\n";
        return r.errors ? 1 : 0;
    }

    scale_set = !scale.empty();
    o.window = window;
    o.big_bytes = static_cast<std::uint64_t>(big_mb) * 1024 * 1024;
    o.chain.with_squid = !no_squid;
    o.chain.with_seed = !no_seed;
    o.chain.self_exe = self_exe();
    if (scale_set) o.scale_levels = scale;
    if (o.smoke) {
        o.rounds = 1;
        o.window = std::min(window, std::chrono::milliseconds(150));
        o.warmup = std::chrono::milliseconds(20);
        o.big_bytes = std::min<std::uint64_t>(o.big_bytes, 4ull * 1024 * 1024);
        o.sse_events = 10;
        o.sse_interval_us = 1000;
        if (!scale_set) o.scale_levels = {50};
        o.startup_runs = std::min(o.startup_runs, 2);
        o.callgrind_requests = 0;
        o.strace_requests = 0;
    }
    for (auto* exe : {&o.chain.bridge_exe, &o.chain.fake_proxy_exe}) {
        if (exe->empty() || !fs::exists(*exe)) {
            std::cerr << "bridge-bench: missing binary '" << *exe << "' (see --bridge, --fake-proxy)\n";
            return 2;
        }
    }
    if (o.chain.with_seed && !runnable(o.chain.node_exe)) {
        std::cerr << "bridge-bench: node ('" << o.chain.node_exe << "') not found: leaving out the seed bridge paths (d, d', f)\n";
        o.chain.with_seed = false;
    }
    if (o.chain.with_seed && (o.chain.seed_js.empty() || !fs::exists(o.chain.seed_js))) {
        std::cerr << "bridge-bench: seed bridge not found at '" << o.chain.seed_js << "' (use --seed or --no-seed)\n";
        return 2;
    }

    std::ostringstream cmd;
    for (int i = 0; i < argc; ++i) cmd << (i ? " " : "") << argv[i];

    json doc;
    try {
        const auto t0 = std::chrono::steady_clock::now();
        doc = run_bench(o);
        doc["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } catch (const std::exception& e) {
        std::cerr << "bridge-bench: " << e.what() << "\n";
        return 1;
    }
    doc["machine"] = machine_info();
    doc["command"] = cmd.str();
    doc["settings"] = {{"rounds", o.rounds},
                       {"window_ms", o.window.count()},
                       {"warmup_ms", o.warmup.count()},
                       {"big_bytes", o.big_bytes},
                       {"sse_events", o.sse_events},
                       {"sse_interval_us", o.sse_interval_us},
                       {"smoke", o.smoke}};
    evaluate_targets(doc);

    const std::string chart_name = out_svg.empty() ? "" : fs::path(out_svg).filename().string();
    std::ostringstream gen;
    const auto& m = doc["machine"];
    gen << "Generated by `bridge-bench` on " << m.value("date", "") << ": " << m.value("cpu", "") << ", "
        << m.value("cpus_online", 0) << " CPUs online, " << m.value("memory", "") << ", " << m.value("kernel", "")
        << ", build " << m.value("build_type", "") << ", load average at start " << m.value("load_average_at_start", "")
        << ". Wall time " << static_cast<int>(doc.value("wall_seconds", 0.0)) << " s.\n\nCommand: `" << doc["command"].get<std::string>()
        << "`\n\n" << o.rounds << " rounds, each path in turn (odd rounds in reverse order), " << o.window.count()
        << " ms measured after " << o.warmup.count() << " ms warm-up per timed workload; figures are medians of rounds.\n\n"
        << render_markdown(doc, chart_name);
    const std::string md = gen.str();

    if (!out_json.empty()) std::ofstream(out_json) << doc.dump(1) << "\n";
    if (!out_svg.empty()) std::ofstream(out_svg) << render_svg(doc);
    if (!out_md.empty()) std::ofstream(out_md) << md;
    if (!doc_file.empty()) update_doc(doc_file, md);
    std::cout << md << std::endl;

    if (o.smoke) {
        const int f = smoke_verdict(doc);
        if (f) {
            std::cerr << "bridge-bench --smoke: " << f << " path/workload pairs produced no numbers\n";
            return 1;
        }
    }
    return 0;
}
