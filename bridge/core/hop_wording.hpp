#pragma once
// How a failure on the way to the Model Runner is worded: the hop it names, the sentence, the
// fix. The setup commands (models, configure, doctor) word their hop failures from here, and the
// bridge's error replies say the same sentences and fixes (tests/setup/chain_client_test.cpp
// checks that the two agree).

#include "error_reply.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace mrb {

struct bridge_config;

namespace wording {

/// "10 s", or "1500 ms" when not whole seconds.
std::string duration(std::chrono::milliseconds d);

/// " (detail)", or nothing for an empty detail.
std::string with_detail(std::string_view detail);

/// "the Model Runner at host:port".
std::string runner(const bridge_config& c);

/// The hop the bridge connects to: "the sandbox proxy at host:port", or the Model Runner when direct.
std::string next_hop(const bridge_config& c);

/// The fix when the Model Runner's own port does not answer (enable its TCP port, or --target).
std::string runner_port_fix(const bridge_config& c);

/// The fix when the next hop cannot be connected to: the proxy settings, or runner_port_fix when direct.
std::string address_fix(const bridge_config& c);

/// The command that lets the target through the sandbox proxy's policy (run on the host).
std::string allow_fix(const bridge_config& c);

/// The sentence, without the "model-runner-bridge: " prefix and the final period, for a failure to
/// reach or pass the next hop: proxy_refused, proxy_unreachable, proxy_connect_timeout, proxy_reset
/// and proxy_denied. Empty for any other failure.
std::string next_hop_failure(failure what, const bridge_config& c, std::string_view detail = {});

} // namespace wording
} // namespace mrb
