// Micro benches of the fake sandbox proxy's rule matcher (docker sandbox network proxy
// semantics): the per-request policy cost of the proxy hop that the bench puts in every path.
#include "sandbox_proxy/policy.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/ip/address.hpp>

#include <string>
#include <vector>

namespace {

using namespace fakes::sandbox_proxy;

policy_rules rules_with(int extra) {
    policy_rules r;
    r.allow_hosts = {"localhost:12434"};
    for (int i = 0; i < extra; ++i) {
        r.allow_hosts.push_back("*.svc" + std::to_string(i) + ".example.com:443");
        r.block_hosts.push_back("host" + std::to_string(i) + ".example.org");
    }
    return r;
}

// Arg: extra allow+block rules on top of the defaults.
void BM_check_host_allowed(benchmark::State& state) {
    const policy p(rules_with(static_cast<int>(state.range(0))));
    for (auto _ : state) benchmark::DoNotOptimize(p.check_host("localhost", 12434));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_check_host_allowed)->Arg(0)->Arg(10)->Arg(100);

void BM_check_host_via_docker_internal(benchmark::State& state) {
    const policy p(rules_with(static_cast<int>(state.range(0))));
    for (auto _ : state) {
        const std::string h = policy::normalize_host("host.docker.internal");
        benchmark::DoNotOptimize(p.check_host(h, 12434));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_check_host_via_docker_internal)->Arg(0)->Arg(100);

void BM_check_host_wildcard_miss(benchmark::State& state) {
    const policy p(rules_with(static_cast<int>(state.range(0))));
    for (auto _ : state) benchmark::DoNotOptimize(p.check_host("api.unknown.example.net", 443));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_check_host_wildcard_miss)->Arg(0)->Arg(100);

void BM_check_address_blocked_cidr(benchmark::State& state) {
    const policy p(rules_with(0));
    const auto addr = boost::asio::ip::make_address("127.0.0.1");
    const verdict v = p.check_host("localhost", 8080);  // not explicitly allowed: CIDR check runs
    for (auto _ : state) benchmark::DoNotOptimize(p.check_address(v, addr));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_check_address_blocked_cidr);

}  // namespace

BENCHMARK_MAIN();
