#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mrb::scenarios {

/// The part of a scenario's fake-proxy section that real Squid can enforce: an allowlist of
/// destination hosts and ports (`--proxy real-squid`). Sans-I/O.
struct squid_policy {
  bool expressible = true;
  std::string why_not;               // set when !expressible: the scenario is n.a. under Squid
  std::vector<std::string> hosts;    // dstdomain -n entries
  std::vector<std::uint16_t> ports;  // destination ports
  int client_idle_pconn_timeout_s = 0;  // from faults.idle_close_ms (0: Squid's default)

  /// Translates `proxy` (the fake sandbox proxy's options JSON, placeholders expanded).
  /// `model_port` stands for "any port" in port-less rules: the bridge only ever asks for the
  /// Model Runner's port, so allowing that one is what an any-port rule means here.
  static squid_policy from_fake_options(const nlohmann::json& proxy, std::uint16_t model_port);
};

}  // namespace mrb::scenarios
