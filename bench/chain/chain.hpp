#pragma once
// Starts the processes of every path under test on loopback and keeps them running while the
// bench alternates over the paths:
//   a  direct          client -> upstream stand-in
//   b  fake-proxy      client -> fake-sandbox-proxy -> stand-in      (absolute-form)
//   b' squid           client -> Squid -> stand-in
//   c  bridge+fake     client -> model-runner-bridge -> fake proxy -> stand-in
//   c' bridge+squid    client -> model-runner-bridge -> Squid -> stand-in
//   d  seed+fake       client -> article-bridge.js (node) -> fake proxy -> stand-in
//   d' seed+squid      client -> article-bridge.js -> Squid -> stand-in
//   e  bridge-direct   client -> model-runner-bridge --direct -> stand-in
//   f  seed-direct     client -> article-bridge.js -> stand-in (HTTP_PROXY pointed at it)
//   r  bare-relay      client -> `bridge-bench relay` (bytes only, no HTTP) -> stand-in: the
//                      floor of any relay hop, compared with e
#include "child_process.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mrb::bench {

struct chain_settings {
    std::string self_exe;        // bridge-bench itself (serves the stand-in upstream)
    std::string bridge_exe;      // model-runner-bridge
    std::string fake_proxy_exe;  // fake-sandbox-proxy
    std::string fake_runner_exe; // fake-model-runner (measured direct once, for reference)
    std::string node_exe = "node";
    std::string seed_js;
    std::string squid_exe = "/usr/sbin/squid";
    std::string work_dir;        // logs and generated configs
    // Extra bridge flags (space separated), e.g. a higher connection limit for the scale runs.
    std::vector<std::string> bridge_extra_args;
    bool with_squid = true;
    bool with_seed = true;
    std::chrono::milliseconds start_timeout{10000};
};

enum class hop_kind { upstream, fake_proxy, squid, bridge, seed, bare_relay };

struct component {
    std::string name;
    hop_kind kind;
    std::unique_ptr<child_process> process;
    std::uint16_t port = 0;
    double ready_ms = 0;  // fork -> ready line (or first accepted connection)
};

struct path_def {
    std::string id;     // "a", "b", "b'", ...
    std::string name;   // "direct", "fake-proxy", ...
    std::uint16_t entry_port = 0;
    bool absolute_form = false;  // the client talks to a proxy
    component* bridge = nullptr; // the bridge on this path (RSS, CPU), if any
    std::string baseline;        // id of the path this one adds a hop to ("" for a)
    component* relay = nullptr;  // the bare relay on path r (its CPU, next to the bridge's)
};

class chain {
public:
    explicit chain(chain_settings settings);
    ~chain();

    // Starts everything; throws with the component's name and log path if one fails.
    void start();

    const std::vector<path_def>& paths() const { return paths_; }
    std::uint16_t upstream_port() const { return upstream_->port; }
    const chain_settings& settings() const { return settings_; }

    // Starts one more bridge (for start-up, idle RSS and callgrind measurements).
    /// `metrics`: false starts it with --admin-listen off (nothing counted), for the cost of counting.
    std::unique_ptr<component> start_bridge(const std::string& name, bool direct, std::uint16_t proxy_port,
                                            const std::vector<std::string>& prefix = {},
                                            std::chrono::milliseconds timeout = std::chrono::milliseconds(10000),
                                            bool metrics = true);
    std::unique_ptr<component> start_fake_runner();

    // GET /bench/release on the stand-in: lets `hold=1` streams finish.
    void release_held_streams();

private:
    std::unique_ptr<component> start_upstream();
    std::unique_ptr<component> start_fake_proxy();
    std::unique_ptr<component> start_squid();
    std::unique_ptr<component> start_seed(const std::string& name, std::uint16_t proxy_port);
    std::unique_ptr<component> start_bare_relay();
    std::string log_path(const std::string& name) const;

    chain_settings settings_;
    std::unique_ptr<component> upstream_, fake_proxy_, squid_, bare_relay_;
    std::vector<std::unique_ptr<component>> entries_;  // bridges and seeds
    std::vector<path_def> paths_;
};

// A free loopback port (bind 0, read, close): for peers that cannot report an ephemeral one.
std::uint16_t pick_free_port();
// Connects until it succeeds or the deadline passes.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);
// Port from "... 127.0.0.1:<port>" at the end of a ready line; 0 if none.
std::uint16_t port_from_line(const std::string& line);

}  // namespace mrb::bench
