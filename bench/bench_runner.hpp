#pragma once
// The bridge-bench run: workloads x paths in alternating rounds, then the one-off phases
// (open-stream scale, start-up and idle RSS, callgrind instructions, strace counts). Produces a
// JSON document that report.hpp renders as Markdown and SVG.
#include "chain/chain.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace mrb::bench {

struct bench_options {
    chain_settings chain;
    int rounds = 3;
    std::chrono::milliseconds window{1000};   // measured window of each timed workload
    std::chrono::milliseconds warmup{150};
    std::uint64_t big_bytes = 100ull * 1024 * 1024;
    std::vector<int> scale_levels{1000, 10000};
    int sse_events = 50;
    int sse_interval_us = 2000;
    int startup_runs = 10;
    int callgrind_requests = 1000;  // 0: skip
    int strace_requests = 2000;     // 0: skip
    bool smoke = false;
    std::string only_workloads;     // comma list; empty: all
};

// Runs everything; throws on start-up failures (a component that does not start).
nlohmann::json run_bench(const bench_options& options);

}  // namespace mrb::bench
