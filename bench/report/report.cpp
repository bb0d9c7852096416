#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

namespace mrb::bench {

using json = nlohmann::json;

// The member, or a shared null (iterates as empty) when absent: never a temporary that a
// reference or a range-for could outlive.
const json& field(const json& j, const char* key) {
    static const json none;
    if (!j.is_object()) return none;
    auto it = j.find(key);
    return it == j.end() ? none : *it;
}

namespace {

std::string fmt(double v, int prec = 1) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", prec, v);
    return b;
}

const json* median_of(const json& doc, const std::string& workload, const std::string& path) {
    const json& r = field(doc, "results");
    if (!r.contains(workload) || !r[workload].contains(path)) return nullptr;
    return &r[workload][path]["median"];
}

double num(const json* m, const char* key) {
    if (!m || !m->contains(key) || !(*m)[key].is_number()) return NAN;
    return (*m)[key].get<double>();
}

void add_target(json& targets, const std::string& what, double value, const std::string& unit, double limit,
                bool at_least, const std::string& note = "") {
    json t{{"target", what}, {"unit", unit}, {"limit", limit}, {"at_least", at_least}};
    if (std::isnan(value)) {
        t["value"] = nullptr;
        t["met"] = false;
        t["gap"] = "not measured";
    } else {
        t["value"] = value;
        const bool met = at_least ? value >= limit : value <= limit;
        t["met"] = met;
        if (!met) {
            const double by = at_least ? limit - value : value - limit;
            t["gap"] = "missed by " + fmt(by, 2) + " " + unit +
                       (limit != 0 ? " (" + fmt(100.0 * by / std::abs(limit), 0) + " %)" : "");
        }
    }
    if (!note.empty()) t["note"] = note;
    targets.push_back(t);
}

}  // namespace

void evaluate_targets(json& doc) {
    json targets = json::array();
    json ratios = json::object();
    auto rps = [&](const char* p) { return num(median_of(doc, "small_c32", p), "rps"); };
    auto ratio = [&](const char* name, double a, double b) {
        const double r = (std::isnan(a) || std::isnan(b) || b == 0) ? NAN : a / b;
        if (!std::isnan(r)) ratios[name] = r;
        return r;
    };
    // Issue 14: the proxy path's floor is the proxy itself; the bridge in front may cost 5 % of it.
    add_target(targets, "throughput c=32, bridge+fake proxy / fake proxy alone (c/b)", ratio("c/b", rps("c"), rps("b")), "x", 0.95, true);
    add_target(targets, "throughput c=32, bridge+Squid / Squid alone (c'/b')", ratio("c'/b'", rps("c'"), rps("b'")), "x", 0.9, true);
    add_target(targets, "throughput c=32, bridge --direct / direct (e/a)", ratio("e/a", rps("e"), rps("a")), "x", 0.5, true);
    add_target(targets, "throughput c=32, bridge / seed via fake proxy (c/d)", ratio("c/d", rps("c"), rps("d")), "x", 2.5, true);
    add_target(targets, "throughput c=32, bridge / seed via Squid (c'/d')", ratio("c'/d'", rps("c'"), rps("d'")), "x", 2.5, true);
    add_target(targets, "throughput c=32, bridge / seed without proxy (e/f)", ratio("e/f", rps("e"), rps("f")), "x", 2.5, true);
    add_target(targets, "throughput c=32, metrics on / off (e/m)", ratio("e/m", rps("e"), rps("m")), "x", 0.97, true);
    ratio("d'/b' (seed via Squid / Squid)", rps("d'"), rps("b'"));
    ratio("f/a (seed direct / direct)", rps("f"), rps("a"));

    auto added = [&](const char* w, const char* p, const char* base, const char* key) {
        return num(median_of(doc, w, p), key) - num(median_of(doc, w, base), key);
    };
    add_target(targets, "latency added c=1 p50, metrics on vs off (e vs m)", added("small_c1", "e", "m", "p50_us"), "us", 5, false);
    add_target(targets, "SSE added per-event delay p50, metrics on vs off (e vs m)",
               added("sse", "e", "m", "event_delay_p50_us"), "us", 5, false);
    // Issue 14: through the fake proxy the bridge may add at most 50 us at p99 (c - b); Squid and the
    // direct path keep the older 150 us.
    for (auto [p, b, label, p99_limit] : {std::tuple{"c", "b", "bridge+fake proxy vs fake proxy", 50.0},
                                          std::tuple{"c'", "b'", "bridge+Squid vs Squid", 150.0},
                                          std::tuple{"e", "a", "bridge --direct vs direct", 150.0}}) {
        add_target(targets, std::string("latency added c=1 p50, ") + label, added("small_c1", p, b, "p50_us"), "us", 30, false);
        add_target(targets, std::string("latency added c=1 p99, ") + label, added("small_c1", p, b, "p99_us"), "us", p99_limit, false);
    }
    for (auto [p, b, label] : {std::tuple{"c", "b", "bridge+fake proxy vs fake proxy"},
                               std::tuple{"c'", "b'", "bridge+Squid vs Squid"},
                               std::tuple{"e", "a", "bridge --direct vs direct"}}) {
        add_target(targets, std::string("SSE added per-event delay p50, ") + label, added("sse", p, b, "event_delay_p50_us"), "us", 50, false);
        add_target(targets, std::string("SSE added per-event delay p99, ") + label, added("sse", p, b, "event_delay_p99_us"), "us", 500, false);
        add_target(targets, std::string("SSE added time to first event p50, ") + label, added("sse", p, b, "first_event_p50_us"), "us", 100, false);
        add_target(targets, std::string("SSE coalesced events, ") + label, num(median_of(doc, "sse", p), "coalesced_total"), "events", 0, false);
    }
    ratios["sse seed added per-event p50 (d-b) us"] = added("sse", "d", "b", "event_delay_p50_us");
    ratios["sse seed added per-event p50 (d'-b') us"] = added("sse", "d'", "b'", "event_delay_p50_us");

    // Scale
    for (const auto& s : field(doc, "scale")) {
        if (s.value("path", "") == "a") continue;
        const std::string label = s.value("path_name", "") + " " + std::to_string(s.value("streams", 0)) + " open streams";
        add_target(targets, "errors, " + label, s.value("errors", 0.0), "errors", 0, false);
        if (s.contains("bridge_kib_per_stream"))
            add_target(targets, "bridge memory per stream, " + label, s["bridge_kib_per_stream"].get<double>(), "KiB", 16, false);
    }
    if (doc.contains("startup") && doc["startup"].is_object()) {
        const auto& st = doc["startup"];
        add_target(targets, "idle RSS (fresh bridge, after ready)", st.value("idle_rss_kib_median", NAN) / 1024.0, "MiB", 5, false);
        add_target(targets, "start-up: fork/exec to ready line", st.value("ready_ms_median", NAN), "ms", 20, false);
        add_target(targets, "start-up: fork/exec to first accepted connection", st.value("first_accept_ms_median", NAN), "ms", 20, false);
    }
    for (auto [w, label] : {std::pair{"down_big", "download"}, std::pair{"up_big", "upload"}}) {
        const json* m = median_of(doc, w, "e");
        add_target(targets, std::string("100 MB ") + label + " through the bridge alone (e)", num(m, "mb_per_s") / 1000.0, "GB/s", 1.0, true);
        add_target(targets, std::string("100 MB ") + label + ": bridge RSS growth (e)",
                   (num(m, "bridge_rss_max_kib") - num(m, "bridge_rss_before_kib")) / 1024.0, "MiB", 1.0, false,
                   "max RSS sampled every 5 ms during the transfer minus RSS before it");
    }
    doc["targets"] = targets;
    doc["ratios"] = ratios;
    evaluate_floor(doc);
}

void evaluate_floor(json& doc) {
    // The bare relay (r) and the bridge (e) each add one hop to the direct path (a): r - a is
    // what any relay hop costs on this machine, e - r what the bridge costs above that.
    json rows = json::array();
    for (auto [measure, w, key] : {std::tuple{"c=1 latency p50", "small_c1", "p50_us"},
                                   std::tuple{"c=1 latency p99", "small_c1", "p99_us"},
                                   std::tuple{"SSE per-event delay p50", "sse", "event_delay_p50_us"},
                                   std::tuple{"SSE per-event delay p99", "sse", "event_delay_p99_us"},
                                   std::tuple{"SSE time to first event p50", "sse", "first_event_p50_us"}}) {
        const double a = num(median_of(doc, w, "a"), key), r = num(median_of(doc, w, "r"), key),
                     e = num(median_of(doc, w, "e"), key);
        if (std::isnan(a) || std::isnan(r) || std::isnan(e)) continue;
        rows.push_back({{"measure", measure},
                        {"workload", w},
                        {"key", key},
                        {"direct_us", a},
                        {"bare_relay_us", r},
                        {"bridge_us", e},
                        {"hop_floor_us", r - a},
                        {"bridge_added_us", e - a},
                        {"bridge_above_floor_us", e - r}});
    }
    // CPU of the hop's own process per request (clock ticks of /proc/<pid>/stat: coarse at
    // small counts), the relay's next to the bridge's.
    json cpu = json::array();
    for (const auto& w : field(doc, "workloads")) {
        const std::string wid = w.value("id", "");
        const double relay = num(median_of(doc, wid, "r"), "relay_cpu_us_per_request"),
                     bridge = num(median_of(doc, wid, "e"), "bridge_cpu_us_per_request");
        if (std::isnan(relay) || std::isnan(bridge)) continue;
        cpu.push_back({{"workload", wid}, {"bare_relay_cpu_us_per_request", relay}, {"bridge_cpu_us_per_request", bridge}});
    }
    doc["floor"] = {{"direct", "a"}, {"bare_relay", "r"}, {"bridge", "e"}, {"rows", rows}, {"cpu", cpu}};
}

std::string render_markdown(const json& doc, const std::string& chart) {
    std::ostringstream md;
    std::map<std::string, std::string> names;
    for (const auto& p : field(doc, "paths")) names[p["id"]] = p["name"];

    md << "## Targets\n\n| target | measured | limit | verdict |\n|---|---|---|---|\n";
    for (const auto& t : field(doc, "targets")) {
        const std::string unit = t.value("unit", "");
        const std::string v = t["value"].is_null() ? "n/a" : fmt(t["value"].get<double>(), 2) + " " + unit;
        md << "| " << t.value("target", "") << " | " << v << " | " << (t.value("at_least", false) ? ">= " : "<= ")
           << fmt(t.value("limit", 0.0), 2) << " " << unit << " | "
           << (t.value("met", false) ? "met" : "**" + t.value("gap", std::string("missed")) + "**") << " |\n";
    }
    md << "\nRatios (medians of rounds, same run):";
    for (const auto& [k, v] : field(doc, "ratios").items())
        if (v.is_number()) md << " " << k << " = " << fmt(v.get<double>(), 2) << ";";
    md << "\n";

    const json& floor_rows = field(field(doc, "floor"), "rows");
    if (!floor_rows.empty()) {
        md << "\n### Relay-hop floor (same run)\n\n"
              "What one relay hop costs at the least (r: `bridge-bench relay`, blocking read/write, no HTTP) "
              "next to what the bridge adds (e: `--direct`), both over the direct path (a); medians of rounds.\n\n"
              "| measure | a direct us | r bare relay us | e bridge us | hop floor (r - a) us | bridge added (e - a) us "
              "| bridge above the floor (e - r) us |\n|---|---|---|---|---|---|---|\n";
        for (const auto& f : floor_rows)
            md << "| " << f.value("measure", "") << " | " << fmt(f.value("direct_us", 0.0)) << " | "
               << fmt(f.value("bare_relay_us", 0.0)) << " | " << fmt(f.value("bridge_us", 0.0)) << " | "
               << fmt(f.value("hop_floor_us", 0.0)) << " | " << fmt(f.value("bridge_added_us", 0.0)) << " | "
               << fmt(f.value("bridge_above_floor_us", 0.0)) << " |\n";
        const json& cpu = field(field(doc, "floor"), "cpu");
        if (!cpu.empty()) {
            md << "\nCPU per request of the hop's process, bare relay (r) vs bridge (e):";
            for (const auto& c : cpu)
                md << " " << c.value("workload", "") << " " << fmt(c.value("bare_relay_cpu_us_per_request", 0.0)) << " us vs "
                   << fmt(c.value("bridge_cpu_us_per_request", 0.0)) << " us;";
            md << "\n";
        }
    }

    for (const auto& w : field(doc, "workloads")) {
        const std::string wid = w["id"];
        if (!field(doc, "results").contains(wid)) continue;
        md << "\n### " << w.value("title", wid) << " (`" << wid << "`)\n\n";
        const bool sse = wid == "sse";
        const bool big = wid == "down_big" || wid == "up_big";
        md << "| path | req/s | p50 us | p99 us | p99.9 us |";
        if (sse) md << " first event p50 us | event delay p50 us | p99 us | events | coalesced |";
        if (big) md << " MB/s |";
        md << " bridge CPU us/req | bridge RSS KiB (before -> max) | errors |\n|---|---|---|---|---|";
        if (sse) md << "---|---|---|---|---|";
        if (big) md << "---|";
        md << "---|---|---|\n";
        for (const auto& p : field(doc, "paths")) {
            const std::string pid = p["id"];
            if (!field(doc, "results")[wid].contains(pid)) continue;
            const json& m = field(doc, "results")[wid][pid]["median"];
            md << "| " << pid << " " << names[pid] << " | " << fmt(m.value("rps", 0.0), 0) << " | "
               << fmt(m.value("p50_us", 0.0)) << " | " << fmt(m.value("p99_us", 0.0)) << " | "
               << fmt(m.value("p999_us", 0.0)) << " |";
            if (sse)
                md << " " << fmt(m.value("first_event_p50_us", 0.0)) << " | " << fmt(m.value("event_delay_p50_us", 0.0))
                   << " | " << fmt(m.value("event_delay_p99_us", 0.0)) << " | " << m.value("events_total", 0) << " | "
                   << m.value("coalesced_total", 0) << " |";
            if (big) md << " " << fmt(m.value("mb_per_s", 0.0), 0) << " |";
            if (m.contains("bridge_rss_before_kib"))
                md << " " << fmt(m.value("bridge_cpu_us_per_request", 0.0)) << " | " << fmt(m.value("bridge_rss_before_kib", 0.0), 0)
                   << " -> " << fmt(m.value("bridge_rss_max_kib", 0.0), 0) << " |";
            else
                md << " | |";
            md << " " << m.value("errors_total", 0) << " |\n";
        }
    }

    if (doc.contains("scale") && !doc["scale"].empty()) {
        md << "\n### Open streams (held open at once, then released)\n\n"
              "| path | streams | ok | errors | s to all open | bridge RSS KiB before -> all open | KiB per stream | first error |\n"
              "|---|---|---|---|---|---|---|---|\n";
        for (const auto& s : doc["scale"]) {
            md << "| " << s.value("path", "") << " " << s.value("path_name", "") << " | " << s.value("streams", 0) << " | "
               << s.value("ok", 0) << " | " << s.value("errors", 0) << " | " << fmt(s.value("seconds_to_all_open", 0.0), 2) << " | ";
            if (s.contains("bridge_rss_open_kib"))
                md << s.value("bridge_rss_before_kib", 0) << " -> " << s.value("bridge_rss_open_kib", 0) << " | "
                   << fmt(s.value("bridge_kib_per_stream", 0.0), 2);
            else
                md << " | ";
            md << " | " << s.value("first_error", "") << " |\n";
        }
    }
    if (doc.contains("startup") && doc["startup"].is_object()) {
        const auto& st = doc["startup"];
        md << "\n### Start-up and idle memory (" << st.value("runs", 0) << " fresh `--direct` bridges)\n\n"
           << "- fork/exec to ready line: median " << fmt(st.value("ready_ms_median", 0.0), 2) << " ms (max "
           << fmt(st.value("ready_ms_max", 0.0), 2) << " ms)\n"
           << "- fork/exec to first accepted connection: median " << fmt(st.value("first_accept_ms_median", 0.0), 2) << " ms\n"
           << "- idle RSS after ready: median " << fmt(st.value("idle_rss_kib_median", 0.0), 0) << " KiB; after 100 requests: "
           << fmt(st.value("rss_after_100_requests_kib_median", 0.0), 0) << " KiB\n";
    }
    if (doc.contains("callgrind") && doc["callgrind"].contains("instructions_per_request_median")) {
        md << "\n### Instructions per relayed request (callgrind, `--direct`, c=1, keep-alive)\n\n"
           << "- median " << fmt(doc["callgrind"]["instructions_per_request_median"].get<double>(), 0)
           << " instructions per request over " << doc["callgrind"].value("requests", 0) << " requests, repeats: "
           << doc["callgrind"]["instructions_per_request"].dump() << "\n";
    }
    if (doc.contains("strace") && doc["strace"].is_object() && !doc["strace"].contains("skipped")) {
        md << "\n### System calls per relayed request (`strace -c -f`, c=1, keep-alive)\n\n| path | syscalls/request | top calls |\n|---|---|---|\n";
        for (const auto& [pid, s] : doc["strace"].items()) {
            std::vector<std::pair<double, std::string>> top;
            for (const auto& [name, v] : field(s, "by_call").items()) top.emplace_back(v.get<double>(), name);
            std::sort(top.rbegin(), top.rend());
            std::string tops;
            for (std::size_t i = 0; i < top.size() && i < 6; ++i) tops += top[i].second + " " + fmt(top[i].first, 2) + ", ";
            md << "| " << pid << " " << s.value("path_name", "") << " | " << fmt(s.value("syscalls_per_request", 0.0), 2)
               << " | " << tops << " |\n";
        }
    }
    if (doc.contains("fake_runner_direct") && !doc["fake_runner_direct"].contains("skipped")) {
        md << "\n### The fake Model Runner direct (why the bench uses its own stand-in)\n\n";
        for (const auto& [k, v] : doc["fake_runner_direct"].items())
            md << "- " << k << ": " << fmt(v.value("rps", 0.0), 0) << " req/s, p50 "
               << fmt(v["latency"].value("p50_us", 0.0)) << " us, errors " << v.value("errors", 0) << "\n";
    }
    if (!chart.empty()) md << "\n![latency distributions per path](" << chart << ")\n";
    return md.str();
}

std::string render_svg(const json& doc) {
    struct panel {
        std::string workload, key, title;
    };
    const std::vector<panel> panels{{"small_c1", "latency_cdf", "small POST, c=1: request latency"},
                                    {"small_c32", "latency_cdf", "small POST, c=32: request latency"},
                                    {"sse", "event_delay_cdf", "SSE: event delay (sender stamp to client)"}};
    const std::vector<std::string> colors{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    const int pw = 420, ph = 300, ml = 50, mb = 40, mt = 30, legend_h = 22 * 5;
    const int width = static_cast<int>(panels.size()) * pw + 20, height = ph + legend_h + 20;
    std::ostringstream s;
    s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n";
    std::vector<std::string> path_ids;
    for (const auto& p : field(doc, "paths")) path_ids.push_back(p["id"]);
    for (std::size_t pi = 0; pi < panels.size(); ++pi) {
        const auto& pn = panels[pi];
        const int x0 = 10 + static_cast<int>(pi) * pw + ml, y0 = mt, w = pw - ml - 20, h = ph - mt - mb;
        // x range: log10 of microseconds over everything plotted in this panel
        double lo = 1e18, hi = 0;
        for (const auto& id : path_ids) {
            const json* m = median_of(doc, pn.workload, id);
            if (!m || !m->contains(pn.key)) continue;
            for (const auto& pt : (*m)[pn.key]) {
                lo = std::min(lo, std::max(1.0, pt[0].get<double>()));
                hi = std::max(hi, pt[0].get<double>());
            }
        }
        s << "<text x='" << x0 << "' y='18' font-weight='bold'>" << pn.title << "</text>\n";
        s << "<rect x='" << x0 << "' y='" << y0 << "' width='" << w << "' height='" << h
          << "' fill='none' stroke='#888'/>\n";
        if (hi <= 0) continue;
        const double l0 = std::floor(std::log10(lo)), l1 = std::max(l0 + 1, std::ceil(std::log10(hi)));
        auto X = [&](double us) { return x0 + (std::log10(std::max(1.0, us)) - l0) / (l1 - l0) * w; };
        auto Y = [&](double f) { return y0 + h - f * h; };
        for (double d = l0; d <= l1; d += 1) {
            const double x = x0 + (d - l0) / (l1 - l0) * w;
            s << "<line x1='" << x << "' y1='" << y0 << "' x2='" << x << "' y2='" << y0 + h << "' stroke='#eee'/>"
              << "<text x='" << x << "' y='" << y0 + h + 14 << "' text-anchor='middle'>" << fmt(std::pow(10, d), 0)
              << "</text>\n";
        }
        for (double f : {0.0, 0.5, 0.9, 0.99, 1.0}) {
            s << "<line x1='" << x0 << "' y1='" << Y(f) << "' x2='" << x0 + w << "' y2='" << Y(f)
              << "' stroke='#eee'/><text x='" << x0 - 4 << "' y='" << Y(f) + 4 << "' text-anchor='end'>" << f
              << "</text>\n";
        }
        s << "<text x='" << x0 + w / 2 << "' y='" << y0 + h + 30 << "' text-anchor='middle'>microseconds (log)</text>\n";
        for (std::size_t k = 0; k < path_ids.size(); ++k) {
            const json* m = median_of(doc, pn.workload, path_ids[k]);
            if (!m || !m->contains(pn.key) || (*m)[pn.key].empty()) continue;
            s << "<polyline fill='none' stroke-width='1.5' stroke='" << colors[k % colors.size()] << "' points='";
            double prev_f = 0;
            for (const auto& pt : (*m)[pn.key]) {
                const double x = X(pt[0].get<double>());
                s << x << "," << Y(prev_f) << " " << x << "," << Y(pt[1].get<double>()) << " ";
                prev_f = pt[1].get<double>();
            }
            s << "'/>\n";
        }
    }
    std::map<std::string, std::string> names;
    for (const auto& p : field(doc, "paths")) names[p["id"]] = p["name"];
    for (std::size_t k = 0; k < path_ids.size(); ++k) {
        const int lx = 10 + ml + static_cast<int>(k % 3) * 260, ly = ph + 10 + static_cast<int>(k / 3) * 20;
        s << "<rect x='" << lx << "' y='" << ly - 9 << "' width='14' height='4' fill='" << colors[k % colors.size()]
          << "'/><text x='" << lx + 20 << "' y='" << ly << "'>" << path_ids[k] << " " << names[path_ids[k]]
          << "</text>\n";
    }
    s << "</svg>\n";
    return s.str();
}

}  // namespace mrb::bench
