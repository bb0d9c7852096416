// Micro benches of the bridge's sans-I/O core: what each relayed request pays in CPU before any
// byte moves (framing checks, header policy), per SSE byte (event counting) and per possible
// denial (recognition). Bytes/items processed make the figures comparable across machines.
#include "core/bridge_config.hpp"
#include "core/denial.hpp"
#include "core/framing_check.hpp"
#include "core/header_policy.hpp"
#include "core/sse_counter.hpp"

#include <benchmark/benchmark.h>
#include <boost/beast/http/message.hpp>

#include <string>

namespace {

namespace http = boost::beast::http;

// What OpenAI/JS sends for a chat completion (field names and sizes as observed).
const std::string raw_head =
    "POST /engines/llama.cpp/v1/chat/completions HTTP/1.1\r\n"
    "Host: 127.0.0.1:54321\r\n"
    "Accept: application/json\r\n"
    "Content-Type: application/json\r\n"
    "User-Agent: OpenAI/JS 7.15.0\r\n"
    "X-Stainless-Lang: js\r\n"
    "X-Stainless-Package-Version: 7.15.0\r\n"
    "X-Stainless-OS: Linux\r\n"
    "X-Stainless-Arch: x64\r\n"
    "X-Stainless-Runtime: node\r\n"
    "X-Stainless-Runtime-Version: v22.12.0\r\n"
    "Authorization: Bearer not-needed\r\n"
    "X-Stainless-Retry-Count: 0\r\n"
    "Content-Length: 182\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

http::request_header<> parsed_request() {
    http::request_header<> h;
    h.method(http::verb::post);
    h.target("/engines/llama.cpp/v1/chat/completions");
    h.version(11);
    h.set(http::field::host, "127.0.0.1:54321");
    h.set(http::field::accept, "application/json");
    h.set(http::field::content_type, "application/json");
    h.set(http::field::user_agent, "OpenAI/JS 7.15.0");
    h.set("X-Stainless-Lang", "js");
    h.set("X-Stainless-Package-Version", "7.15.0");
    h.set("X-Stainless-OS", "Linux");
    h.set("X-Stainless-Arch", "x64");
    h.set("X-Stainless-Runtime", "node");
    h.set("X-Stainless-Runtime-Version", "v22.12.0");
    h.set(http::field::authorization, "Bearer not-needed");
    h.set(http::field::content_length, "182");
    h.set(http::field::connection, "keep-alive");
    return h;
}

http::response_header<> parsed_response() {
    http::response_header<> h;
    h.result(http::status::ok);
    h.version(11);
    h.set(http::field::content_type, "text/event-stream");
    h.set(http::field::cache_control, "no-cache");
    h.set(http::field::transfer_encoding, "chunked");
    h.set(http::field::connection, "keep-alive");
    h.set("Keep-Alive", "timeout=5");
    h.set(http::field::via, "1.1 squid");
    h.set("X-Cache", "MISS from bench-squid");
    return h;
}

mrb::bridge_config proxy_config() {
    mrb::bridge_config c;
    c.proxy = mrb::proxy_endpoint{"host.docker.internal", 3128, "", "http://host.docker.internal:3128"};
    return c;
}

void BM_check_raw_head(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(mrb::check_raw_head(raw_head));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw_head.size()));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_check_raw_head);

void BM_check_request_framing(benchmark::State& state) {
    const auto h = parsed_request();
    for (auto _ : state) benchmark::DoNotOptimize(mrb::check_request_framing(h));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_check_request_framing);

void BM_check_response_framing(benchmark::State& state) {
    const auto h = parsed_response();
    for (auto _ : state) benchmark::DoNotOptimize(mrb::check_response_framing(h));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_check_response_framing);

void BM_header_policy_request(benchmark::State& state) {
    const auto config = proxy_config();
    const mrb::header_policy policy(config);
    const auto original = parsed_request();
    std::string origin;
    for (auto _ : state) {
        auto h = original;  // the rewrite mutates; the copy is part of what a relay does anyway
        const auto v = policy.check_target(h.method(), h.target(), origin);
        benchmark::DoNotOptimize(v);
        policy.rewrite_request(h, origin);
        benchmark::DoNotOptimize(h);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw_head.size()));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_header_policy_request);

void BM_header_policy_response(benchmark::State& state) {
    const auto config = proxy_config();
    const mrb::header_policy policy(config);
    const auto original = parsed_response();
    for (auto _ : state) {
        auto h = original;
        policy.rewrite_response(h);
        benchmark::DoNotOptimize(h);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_header_policy_response);

std::string sse_stream(int events) {
    std::string s;
    for (int i = 0; i < events; ++i) {
        s += ": t=1764213600000000\n";
        s += R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1754524122,"model":"ai/smollm2",)"
             R"("choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}]})";
        s += "\n\n";
    }
    s += "data: [DONE]\n\n";
    return s;
}

// Arg: bytes per feed() call (a read from the proxy): one event, or 16 KiB reads.
void BM_sse_counter(benchmark::State& state) {
    const std::string stream = sse_stream(200);
    const std::size_t piece = static_cast<std::size_t>(state.range(0));
    std::uint64_t events = 0;
    for (auto _ : state) {
        mrb::sse_counter c;
        for (std::size_t off = 0; off < stream.size(); off += piece)
            c.feed(std::string_view(stream).substr(off, piece));
        events += c.events();
        benchmark::DoNotOptimize(c);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
    state.SetItemsProcessed(static_cast<int64_t>(events));
}
BENCHMARK(BM_sse_counter)->Arg(1)->Arg(190)->Arg(16384);

void BM_denial_squid(benchmark::State& state) {
    const std::vector<std::pair<std::string, std::string>> headers{
        {"Server", "squid/5.7"}, {"Content-Type", "text/html;charset=utf-8"},
        {"X-Squid-Error", "ERR_ACCESS_DENIED 0"}, {"Connection", "keep-alive"}};
    const std::string body = "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><html><head><title>ERROR: "
                             "The requested URL could not be retrieved</title>" + std::string(400, ' ');
    for (auto _ : state) {
        const bool maybe = mrb::may_be_denial(403);
        benchmark::DoNotOptimize(maybe);
        benchmark::DoNotOptimize(mrb::recognise_denial(403, "Forbidden", headers, body));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_denial_squid);

void BM_denial_docker(benchmark::State& state) {
    const std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}};
    const std::string body =
        "Blocked by network policy: domain localhost:12434\n  detail: no matching allow rule - blocked by default deny policy\n";
    for (auto _ : state) benchmark::DoNotOptimize(mrb::recognise_denial(403, "Forbidden", headers, body));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_denial_docker);

// The common case: a Model Runner answer that only looks at the status.
void BM_denial_not_a_denial(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(mrb::may_be_denial(200));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_denial_not_a_denial);

}  // namespace

BENCHMARK_MAIN();
