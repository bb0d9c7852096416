#pragma once
// The cheapest honest relay hop, for bridge-bench's path r ("bare-relay"): for every accepted
// connection it connects to 127.0.0.1:<target port> and copies bytes both ways with blocking
// read/write, one thread per direction (like socat). No HTTP parsing: what it adds over the
// direct path is the floor of any relay hop on this machine (one more process to wake per
// hop), which the bridge's added latency is compared with.
#include <cstdint>
#include <memory>

namespace mrb::bench {

class bare_relay {
public:
    explicit bare_relay(std::uint16_t target_port, std::uint16_t listen_port = 0);
    ~bare_relay();  // stop()
    bare_relay(const bare_relay&) = delete;
    bare_relay& operator=(const bare_relay&) = delete;

    void listen();  // binds 127.0.0.1:listen_port (idempotent); throws if it cannot
    std::uint16_t port() const;

    void start();               // listen(), then accepts on its own thread
    void run_in_this_thread();  // listen(), then accepts on the caller's thread until stop()
    // Idempotent: stops accepting, cuts the open connections and joins every thread.
    void stop();

    std::uint64_t connections_accepted() const;
    std::uint64_t connections_finished() const;  // both directions done, descriptors closed
    std::uint64_t connect_failures() const;      // the target refused: the client was closed

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace mrb::bench
