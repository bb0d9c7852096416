#pragma once
// bridge-bench's own HTTP/1.1 load client: N keep-alive connections (1 .. 10,000+) on one Asio
// thread, each sending a fixed request in a closed loop and timing each response. It parses
// responses with Beast's parser but never stores bodies, splits text/event-stream bodies into
// events (arrival time, the sender's `: t=` stamp, events that arrived in the same read) and
// streams uploads from a fixed buffer, so 100 MB bodies cost nothing.
#include "latency_histogram.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace mrb::bench {

struct load_spec {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string request_head;         // complete request head, CRLF CRLF included
    std::uint64_t upload_bytes = 0;   // body bytes sent after the head (Content-Length is the caller's)
    int connections = 1;
    int max_connecting = 128;         // connects in flight at once (listen backlogs are finite)
    std::uint64_t requests_per_connection = 0;       // 0: until `duration` ends
    std::chrono::milliseconds duration{1000};        // measured window
    std::chrono::milliseconds warmup{0};             // responses completing before this are not recorded
    std::chrono::milliseconds request_timeout{10000};
    std::size_t read_buffer = 16 * 1024;
    int expect_status = 200;
    // Called once on the client's thread when every connection has seen the first SSE event of
    // its first response (or failed): the moment when N streams are open at once.
    std::function<void()> on_all_streaming;
};

struct load_result {
    latency_histogram latency;      // request start -> response complete (ns)
    latency_histogram ttfb;         // request start -> first response bytes (ns)
    latency_histogram first_event;  // request start -> first SSE event (ns)
    latency_histogram event_delay;  // event arrival - the sender's stamp (ns, microsecond resolution)
    std::uint64_t ok = 0;           // responses complete with the expected status
    std::uint64_t errors = 0;
    std::uint64_t connect_errors = 0;
    std::uint64_t status_errors = 0;
    std::uint64_t io_errors = 0;     // resets, early EOF, timeouts, parse errors
    std::uint64_t events = 0;
    std::uint64_t coalesced = 0;     // events that completed in a read that had already completed one
    std::uint64_t unstamped_events = 0;
    std::uint64_t body_bytes_in = 0;
    std::uint64_t bytes_out = 0;
    double seconds = 0;              // the measured window's actual length
    std::string first_error;

    double requests_per_second() const { return seconds > 0 ? ok / seconds : 0; }
};

// Runs the spec to completion on the calling thread. Throws only on start-up errors.
load_result run_load(const load_spec& spec);

// Builds a request head. `target` is origin-form or absolute-form as the path needs.
std::string make_request_head(std::string_view method, std::string_view target, std::string_view host,
                              std::uint64_t content_length, bool with_body);

}  // namespace mrb::bench
