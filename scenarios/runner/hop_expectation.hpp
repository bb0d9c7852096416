#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mrb::scenarios {

/// Checks what a hop (fake Model Runner or proxy) recorded against an `expect` step's section
/// for it (keys in docs/scenarios.md, "Hop expectations"). Sans-I/O: works on the normalised
/// request list and network log of component_hop. `disconnect_within_ms` is waited for by the
/// runner, not here.
class hop_expectation {
public:
  static void validate(const nlohmann::json& expect);

  static void check(const std::string& hop, const nlohmann::json& expect, const nlohmann::json& requests,
                    const nlohmann::json& network_log, std::vector<std::string>& failures);

  /// Checks one recorded request against a request pattern.
  static void check_request(const std::string& where, const nlohmann::json& pattern, const nlohmann::json& request,
                            std::vector<std::string>& failures);

  /// Expectation keys that need the requests list / the network log / disconnects.
  static bool uses_requests(const nlohmann::json& expect);
  static bool uses_network_log(const nlohmann::json& expect);
};

}  // namespace mrb::scenarios
