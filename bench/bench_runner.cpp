#include "bench_runner.hpp"

#include "load/load_client.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace mrb::bench {

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view chat_path = "/engines/llama.cpp/v1/chat/completions";
constexpr std::string_view chat_body =
    R"({"model":"ai/smollm2","messages":[{"role":"user","content":"Say hello in five words."}],"max_tokens":16})";
constexpr std::string_view chat_body_stream =
    R"({"model":"ai/smollm2","messages":[{"role":"user","content":"Say hello in five words."}],"stream":true})";

struct workload {
    std::string id;
    std::string title;
    int connections = 1;
    bool timed = true;  // closed loop for the window; else one request per connection
    std::string method = "POST";
    std::string query;  // appended to the chat path
    std::string_view body = chat_body;
    std::uint64_t upload = 0;
    std::size_t read_buffer = 16 * 1024;
};

std::string target_for(const path_def& p, std::uint16_t upstream_port, std::string_view path) {
    if (p.absolute_form) return "http://localhost:" + std::to_string(upstream_port) + std::string(path);
    return std::string(path);
}

std::string host_for(const path_def& p, std::uint16_t upstream_port) {
    if (p.absolute_form) return "localhost:" + std::to_string(upstream_port);
    return "127.0.0.1:" + std::to_string(p.entry_port);
}

load_spec spec_for(const path_def& p, const workload& w, std::uint16_t upstream_port, const bench_options& o) {
    load_spec s;
    s.port = p.entry_port;
    const std::string path = std::string(chat_path) + w.query;
    const std::string target = target_for(p, upstream_port, path);
    if (w.upload > 0) {
        s.request_head = make_request_head(w.method, target, host_for(p, upstream_port), w.upload, true);
        s.upload_bytes = w.upload;
    } else if (w.method == "POST") {
        s.request_head = make_request_head(w.method, target, host_for(p, upstream_port), w.body.size(), true);
        s.request_head.append(w.body);  // small bodies go in the same write as the head
    } else {
        s.request_head = make_request_head(w.method, target, host_for(p, upstream_port), 0, false);
    }
    s.connections = w.connections;
    s.read_buffer = w.read_buffer;
    if (w.timed) {
        s.duration = o.window;
        s.warmup = o.warmup;
    } else {
        s.requests_per_connection = 1;
        s.request_timeout = 120s;
    }
    return s;
}

json hist_summary_us(const latency_histogram& h) {
    auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    return {{"count", h.count()},
            {"p50_us", us(h.percentile(0.5))},
            {"p99_us", us(h.percentile(0.99))},
            {"p999_us", us(h.percentile(0.999))},
            {"max_us", us(h.max())},
            {"mean_us", h.mean() / 1000.0}};
}

json cdf_json(const latency_histogram& h, std::size_t max_points = 160) {
    auto pts = h.cdf();
    json out = json::array();
    if (pts.empty()) return out;
    const std::size_t step = std::max<std::size_t>(1, pts.size() / max_points);
    for (std::size_t i = 0; i < pts.size(); i += step)
        out.push_back({static_cast<double>(pts[i].first) / 1000.0, pts[i].second});
    if ((pts.size() - 1) % step != 0) out.push_back({static_cast<double>(pts.back().first) / 1000.0, 1.0});
    return out;
}

// Samples a process's RSS every few milliseconds while a workload runs.
class rss_sampler {
public:
    explicit rss_sampler(pid_t pid) : pid_(pid) {
        if (pid_ <= 0) return;
        before_ = proc_status_kib(pid_, "VmRSS");
        max_ = before_;
        thread_ = std::thread([this] {
            while (!stop_.load()) {
                max_ = std::max<std::uint64_t>(max_, proc_status_kib(pid_, "VmRSS"));
                std::this_thread::sleep_for(5ms);  // sampling period, not a synchronisation wait
            }
        });
    }
    ~rss_sampler() { finish(); }
    void finish() {
        if (thread_.joinable()) {
            stop_ = true;
            thread_.join();
            after_ = proc_status_kib(pid_, "VmRSS");
        }
    }
    std::uint64_t before() const { return before_; }
    std::uint64_t max() const { return max_; }
    std::uint64_t after() const { return after_; }

private:
    pid_t pid_;
    std::uint64_t before_ = 0, after_ = 0;
    std::atomic<std::uint64_t> max_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

workload make(std::string id, std::string title, int connections, bool timed = true) {
    workload w;
    w.id = std::move(id);
    w.title = std::move(title);
    w.connections = connections;
    w.timed = timed;
    return w;
}

std::vector<workload> make_workloads(const bench_options& o) {
    std::vector<workload> w;
    w.push_back(make("small_c1", "small POST, 1 connection", 1));
    w.push_back(make("small_c32", "small POST, 32 connections", 32));
    workload sse = make("sse", "streamed chat completion, 8 streams", 8);
    sse.query = "?sse=" + std::to_string(o.sse_events) + "&iv=" + std::to_string(o.sse_interval_us);
    sse.body = chat_body_stream;
    w.push_back(sse);
    workload down = make("down_big", "large download", 1, false);
    down.method = "GET";
    down.query = "?down=" + std::to_string(o.big_bytes);
    down.read_buffer = 256 * 1024;
    w.push_back(down);
    workload up = make("up_big", "large upload", 1, false);
    up.upload = o.big_bytes;
    w.push_back(up);
    if (!o.only_workloads.empty()) {
        std::erase_if(w, [&](const workload& x) {
            return ("," + o.only_workloads + ",").find("," + x.id + ",") == std::string::npos;
        });
    }
    return w;
}

void log(const std::string& s) {
    std::cerr << "[bridge-bench] " << s << std::endl;
}

// ---- one-off phases ------------------------------------------------------------------------

json scale_phase(chain& ch, const bench_options& o) {
    json out = json::array();
    for (const auto& p : ch.paths()) {
        // Bridges only (what the per-stream memory target is about), plus the direct path as a
        // check that the stand-in and the client hold the load themselves.
        if (p.id != "a" && p.id != "c" && p.id != "e") continue;
        for (int n : o.scale_levels) {
            load_spec s;
            s.port = p.entry_port;
            const std::string path = std::string(chat_path) + "?sse=3&hold=1";
            s.request_head = make_request_head("POST", target_for(p, ch.upstream_port(), path),
                                               host_for(p, ch.upstream_port()), chat_body_stream.size(), true);
            s.request_head.append(chat_body_stream);
            s.connections = n;
            s.requests_per_connection = 1;
            s.max_connecting = 256;
            s.read_buffer = 4096;
            s.request_timeout = o.smoke ? 20s : 90s;
            const pid_t bpid = p.bridge ? p.bridge->process->pid() : 0;
            const std::uint64_t rss_before = bpid ? proc_status_kib(bpid, "VmRSS") : 0;
            std::uint64_t rss_open = 0;
            const auto t0 = std::chrono::steady_clock::now();
            double open_s = 0;
            s.on_all_streaming = [&] {
                open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                if (bpid) rss_open = proc_status_kib(bpid, "VmRSS");
                ch.release_held_streams();
            };
            log("scale " + p.name + " n=" + std::to_string(n));
            load_result r = run_load(s);
            ch.release_held_streams();  // in case the callback never ran
            const std::uint64_t rss_after = bpid ? proc_status_kib(bpid, "VmRSS") : 0;
            json j{{"path", p.id},
                   {"path_name", p.name},
                   {"streams", n},
                   {"ok", r.ok},
                   {"errors", r.errors + (static_cast<std::uint64_t>(n) > r.ok + r.errors ? n - r.ok - r.errors : 0)},
                   {"connect_errors", r.connect_errors},
                   {"first_error", r.first_error},
                   {"seconds_to_all_open", open_s},
                   {"events", r.events},
                   {"coalesced", r.coalesced}};
            if (bpid) {
                j["bridge_rss_before_kib"] = rss_before;
                j["bridge_rss_open_kib"] = rss_open;
                j["bridge_rss_after_kib"] = rss_after;
                j["bridge_kib_per_stream"] =
                    rss_open > rss_before ? static_cast<double>(rss_open - rss_before) / n : 0.0;
            }
            out.push_back(j);
        }
    }
    return out;
}

json startup_phase(chain& ch, const bench_options& o) {
    std::vector<double> ready, first_accept, idle_rss, rss_after_requests;
    for (int i = 0; i < o.startup_runs; ++i) {
        auto b = ch.start_bridge("bridge-startup", true, 0);
        ready.push_back(b->ready_ms);
        wait_for_port(b->port, 5s);
        first_accept.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - b->process->started_at())
                .count());
        idle_rss.push_back(static_cast<double>(b->process->rss_kib()));
        load_spec s;
        s.port = b->port;
        s.request_head = make_request_head("POST", chat_path, "127.0.0.1", chat_body.size(), true);
        s.request_head.append(chat_body);
        s.requests_per_connection = 100;
        run_load(s);
        rss_after_requests.push_back(static_cast<double>(b->process->rss_kib()));
        b->process->stop(3s);
    }
    return {{"runs", o.startup_runs},
            {"ready_ms_median", median(ready)},
            {"ready_ms_max", ready.empty() ? 0 : *std::max_element(ready.begin(), ready.end())},
            {"first_accept_ms_median", median(first_accept)},
            {"idle_rss_kib_median", median(idle_rss)},
            {"rss_after_100_requests_kib_median", median(rss_after_requests)}};
}

std::uint64_t callgrind_total(const std::string& file) {
    std::ifstream in(file);
    std::string line;
    std::uint64_t total = 0;
    while (std::getline(in, line)) {
        if (line.rfind("summary:", 0) == 0 || line.rfind("totals:", 0) == 0) {
            total = std::max<std::uint64_t>(total, std::stoull(line.substr(line.find(':') + 1)));
        }
    }
    return total;
}

int run_quiet(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

json callgrind_phase(chain& ch, const bench_options& o) {
    if (o.callgrind_requests <= 0 || run_quiet("command -v valgrind") != 0) return {{"skipped", true}};
    const std::string out_base = ch.settings().work_dir + "/callgrind.out";
    // Instructions are counted only between a zero and a dump, around the measured requests.
    auto b = ch.start_bridge("bridge-callgrind", true, 0,
                             {"/usr/bin/valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_base + ".%p"},
                             60s);
    const pid_t pid = b->process->pid();
    load_spec s;
    s.port = b->port;
    s.request_head = make_request_head("POST", chat_path, "127.0.0.1", chat_body.size(), true);
    s.request_head.append(chat_body);
    s.requests_per_connection = 100;  // warm: pool, allocator, lazy init
    s.request_timeout = 30s;
    run_load(s);
    std::vector<double> per_request;
    for (int rep = 0; rep < 2; ++rep) {
        run_quiet("callgrind_control -z " + std::to_string(pid));
        s.requests_per_connection = static_cast<std::uint64_t>(o.callgrind_requests);
        load_result r = run_load(s);
        run_quiet("callgrind_control -d " + std::to_string(pid));
        // The dump is written as <out>.<pid>.<n>; take the newest.
        std::uint64_t ir = 0;
        for (int n = 10; n >= 1 && ir == 0; --n)
            ir = callgrind_total(out_base + "." + std::to_string(pid) + "." + std::to_string(n));
        if (ir > 0 && r.ok > 0) per_request.push_back(static_cast<double>(ir) / static_cast<double>(r.ok));
        for (int n = 1; n <= 10; ++n) std::remove((out_base + "." + std::to_string(pid) + "." + std::to_string(n)).c_str());
    }
    b->process->stop(10s);
    json j{{"requests", o.callgrind_requests}, {"instructions_per_request", per_request}};
    if (!per_request.empty()) j["instructions_per_request_median"] = median(per_request);
    return j;
}

json strace_phase(chain& ch, const bench_options& o) {
    if (o.strace_requests <= 0 || run_quiet("command -v strace") != 0) return {{"skipped", true}};
    json out = json::object();
    for (const auto& p : ch.paths()) {
        if (!p.bridge) continue;
        const std::string file = ch.settings().work_dir + "/strace-" + p.name + ".txt";
        child_process st(child_options{
            {"/usr/bin/strace", "-c", "-f", "-o", file, "-p", std::to_string(p.bridge->process->pid())},
            {}, true, ""});
        // strace prints "attached" lines on stderr once it has the process.
        st.wait_for_line("attached", 5s);
        load_spec s;
        s.port = p.entry_port;
        s.request_head = make_request_head("POST", chat_path, "127.0.0.1", chat_body.size(), true);
        s.request_head.append(chat_body);
        s.requests_per_connection = static_cast<std::uint64_t>(o.strace_requests);
        s.request_timeout = 30s;
        load_result r = run_load(s);
        ::kill(st.pid(), SIGINT);  // strace detaches and writes its summary
        st.stop(5s);
        std::ifstream in(file);
        std::string line;
        json calls = json::object();
        std::uint64_t total = 0;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            double pct, secs;
            std::uint64_t usecs, n;
            std::string third, name;
            if (!(ls >> pct >> secs >> usecs >> n)) continue;
            std::string rest;
            std::vector<std::string> tok;
            while (ls >> rest) tok.push_back(rest);
            if (tok.empty()) continue;
            name = tok.back();
            if (name == "total") {
                total = n;
                continue;
            }
            if (r.ok > 0) calls[name] = static_cast<double>(n) / static_cast<double>(r.ok);
        }
        out[p.id] = {{"path_name", p.name},
                     {"requests", r.ok},
                     {"syscalls_per_request", r.ok ? static_cast<double>(total) / static_cast<double>(r.ok) : 0.0},
                     {"by_call", calls}};
    }
    return out;
}

json fake_runner_phase(chain& ch, const bench_options& o) {
    auto fr = ch.start_fake_runner();
    if (!fr) return {{"skipped", true}};
    json out = json::object();
    for (int c : {1, 32}) {
        load_spec s;
        s.port = fr->port;
        s.request_head = make_request_head("GET", "/engines/v1/models", "127.0.0.1:" + std::to_string(fr->port), 0, false);
        s.connections = c;
        s.duration = o.window;
        s.warmup = o.warmup;
        load_result r = run_load(s);
        out["c" + std::to_string(c)] = {{"rps", r.requests_per_second()},
                                        {"errors", r.errors},
                                        {"first_error", r.first_error},
                                        {"latency", hist_summary_us(r.latency)}};
    }
    fr->process->stop(3s);
    return out;
}

}  // namespace

json run_bench(const bench_options& o) {
    chain ch(o.chain);
    log("starting the chain in " + o.chain.work_dir);
    ch.start();
    const auto workloads = make_workloads(o);

    json doc;
    {
        json comps = json::array();
        for (const auto& p : ch.paths()) comps.push_back({{"id", p.id}, {"name", p.name}, {"baseline", p.baseline}});
        doc["paths"] = comps;
    }
    // results[workload][path] -> per-round samples; merged histograms for the chart
    std::map<std::string, std::map<std::string, std::vector<json>>> samples;
    std::map<std::string, std::map<std::string, latency_histogram>> merged_latency, merged_event_delay;

    for (int round = 0; round < o.rounds; ++round) {
        for (const auto& w : workloads) {
            // Alternate the order too: odd rounds run the paths backwards.
            std::vector<const path_def*> order;
            for (const auto& p : ch.paths()) order.push_back(&p);
            if (round % 2) std::reverse(order.begin(), order.end());
            for (const path_def* pp : order) {
                const path_def& p = *pp;
                load_spec s = spec_for(p, w, ch.upstream_port(), o);
                const pid_t bpid = p.bridge ? p.bridge->process->pid() : 0;
                const double cpu0 = p.bridge ? p.bridge->process->cpu_seconds() : 0;
                const double relay_cpu0 = p.relay ? p.relay->process->cpu_seconds() : 0;
                rss_sampler rss(bpid);
                load_result r = run_load(s);
                rss.finish();
                const double cpu1 = p.bridge ? p.bridge->process->cpu_seconds() : 0;
                const double relay_cpu1 = p.relay ? p.relay->process->cpu_seconds() : 0;
                json j{{"round", round},
                       {"ok", r.ok},
                       {"errors", r.errors},
                       {"first_error", r.first_error},
                       {"seconds", r.seconds},
                       {"rps", r.requests_per_second()},
                       {"latency", hist_summary_us(r.latency)},
                       {"ttfb", hist_summary_us(r.ttfb)}};
                if (w.id == "sse") {
                    j["events"] = r.events;
                    j["coalesced"] = r.coalesced;
                    j["unstamped"] = r.unstamped_events;
                    j["first_event"] = hist_summary_us(r.first_event);
                    j["event_delay"] = hist_summary_us(r.event_delay);
                    merged_event_delay[w.id][p.id].merge(r.event_delay);
                }
                if (w.id == "down_big" || w.id == "up_big") {
                    const double bytes = w.id == "down_big" ? static_cast<double>(r.body_bytes_in)
                                                            : static_cast<double>(o.big_bytes);
                    const double secs = r.latency.count() ? static_cast<double>(r.latency.max()) / 1e9 : 0;
                    j["mb_per_s"] = secs > 0 && r.ok ? bytes / secs / 1e6 : 0.0;
                }
                if (bpid) {
                    j["bridge_rss_before_kib"] = rss.before();
                    j["bridge_rss_max_kib"] = rss.max();
                    j["bridge_cpu_s"] = cpu1 - cpu0;
                    if (r.ok) j["bridge_cpu_us_per_request"] = (cpu1 - cpu0) * 1e6 / static_cast<double>(r.ok);
                }
                if (p.relay && r.ok)
                    j["relay_cpu_us_per_request"] = (relay_cpu1 - relay_cpu0) * 1e6 / static_cast<double>(r.ok);
                merged_latency[w.id][p.id].merge(r.latency);
                samples[w.id][p.id].push_back(j);
                log("round " + std::to_string(round) + " " + w.id + " " + p.name + ": " +
                    std::to_string(static_cast<long>(r.requests_per_second())) + " req/s, p50 " +
                    std::to_string(r.latency.percentile(0.5) / 1000) + " us, errors " + std::to_string(r.errors) +
                    (r.first_error.empty() ? "" : " (" + r.first_error + ")"));
            }
        }
    }

    // Medians of rounds per path and workload.
    auto med = [](const std::vector<json>& v, auto&& get) {
        std::vector<double> xs;
        for (const auto& j : v) xs.push_back(get(j));
        return median(xs);
    };
    json results = json::object();
    for (const auto& [wid, per_path] : samples) {
        for (const auto& [pid, v] : per_path) {
            json m;
            m["rounds"] = v;
            auto num = [](const json& j, const char* a, const char* b = nullptr) -> double {
                if (!j.contains(a)) return 0.0;
                const json& x = b ? j.at(a).value(b, json(0.0)) : j.at(a);
                return x.is_number() ? x.get<double>() : 0.0;
            };
            json md{{"rps", med(v, [&](const json& j) { return num(j, "rps"); })},
                    {"p50_us", med(v, [&](const json& j) { return num(j, "latency", "p50_us"); })},
                    {"p99_us", med(v, [&](const json& j) { return num(j, "latency", "p99_us"); })},
                    {"p999_us", med(v, [&](const json& j) { return num(j, "latency", "p999_us"); })},
                    {"errors", med(v, [&](const json& j) { return num(j, "errors"); })}};
            std::uint64_t total_errors = 0;
            for (const auto& j : v) total_errors += j.value("errors", 0ull);
            md["errors_total"] = total_errors;
            if (wid == "sse") {
                md["first_event_p50_us"] = med(v, [&](const json& j) { return num(j, "first_event", "p50_us"); });
                md["event_delay_p50_us"] = med(v, [&](const json& j) { return num(j, "event_delay", "p50_us"); });
                md["event_delay_p99_us"] = med(v, [&](const json& j) { return num(j, "event_delay", "p99_us"); });
                std::uint64_t co = 0, ev = 0;
                for (const auto& j : v) {
                    co += j.value("coalesced", 0ull);
                    ev += j.value("events", 0ull);
                }
                md["coalesced_total"] = co;
                md["events_total"] = ev;
                md["event_delay_cdf"] = cdf_json(merged_event_delay[wid][pid]);
            }
            if (wid == "down_big" || wid == "up_big") md["mb_per_s"] = med(v, [&](const json& j) { return num(j, "mb_per_s"); });
            if (v.front().contains("bridge_rss_before_kib")) {
                md["bridge_rss_before_kib"] = med(v, [&](const json& j) { return num(j, "bridge_rss_before_kib"); });
                md["bridge_rss_max_kib"] = med(v, [&](const json& j) { return num(j, "bridge_rss_max_kib"); });
                md["bridge_cpu_us_per_request"] =
                    med(v, [&](const json& j) { return num(j, "bridge_cpu_us_per_request"); });
            }
            if (v.front().contains("relay_cpu_us_per_request"))
                md["relay_cpu_us_per_request"] = med(v, [&](const json& j) { return num(j, "relay_cpu_us_per_request"); });
            md["latency_cdf"] = cdf_json(merged_latency[wid][pid]);
            m["median"] = md;
            results[wid][pid] = m;
        }
    }
    doc["results"] = results;
    json wl = json::array();
    for (const auto& w : workloads)
        wl.push_back({{"id", w.id}, {"title", w.title}, {"connections", w.connections}, {"query", w.query}});
    doc["workloads"] = wl;

    if (!o.scale_levels.empty()) doc["scale"] = scale_phase(ch, o);
    if (o.startup_runs > 0) {
        log("start-up and idle RSS");
        doc["startup"] = startup_phase(ch, o);
    }
    log("fake Model Runner direct (reference)");
    doc["fake_runner_direct"] = fake_runner_phase(ch, o);
    log("callgrind");
    doc["callgrind"] = callgrind_phase(ch, o);
    log("strace");
    doc["strace"] = strace_phase(ch, o);
    return doc;
}

}  // namespace mrb::bench
