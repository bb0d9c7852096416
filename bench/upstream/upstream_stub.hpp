#pragma once
// The Model Runner stand-in for the benches: a single-threaded Asio server that answers from
// pre-built bytes so that it is never the bottleneck of a path (bridge-bench measures it direct).
// What it sends is chosen by the query string of the request target:
//   (none)              200, a ~300-byte chat.completion JSON (Content-Length)
//   sse=N&iv=US         200 text/event-stream, N events + `data: [DONE]`, one chunk each, US
//                       microseconds apart; each event carries `: t=<unix micros>` stamped just
//                       before it is written (the fake Model Runner's convention)
//   sse=N&hold=1        as above, but after the first event it waits for GET /bench/release
//   down=BYTES          200 with a BYTES-long body, streamed from a fixed buffer
// Request bodies of any size are read and discarded before the response starts.
#include <cstdint>
#include <memory>

namespace mrb::bench {

class upstream_stub {
public:
    explicit upstream_stub(std::uint16_t port = 0);
    ~upstream_stub();
    upstream_stub(const upstream_stub&) = delete;
    upstream_stub& operator=(const upstream_stub&) = delete;

    void listen();  // binds 127.0.0.1:port (idempotent); port() is valid afterwards
    void start();   // listen(), then serves on its own thread
    void stop();   // idempotent
    std::uint16_t port() const;

    // listen(), then serves on the caller's thread until stop(): the `bridge-bench upstream` child.
    void run_in_this_thread();

    std::uint64_t requests_served() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace mrb::bench
