#pragma once

#include "exchange_record.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mrb::scenarios {

/// Checks what the runner's client received against a step's `expect` object (keys in
/// docs/scenarios.md, "Client expectations"). Sans-I/O: works on a finished exchange_record.
class client_expectation {
public:
  /// Throws std::invalid_argument for unknown keys, so a typo cannot silently pass.
  static void validate(const nlohmann::json& expect);

  /// Appends one human-readable line per failed check.
  static void check(const nlohmann::json& expect, const exchange_record& rec,
                    std::vector<std::string>& failures);
};

}  // namespace mrb::scenarios
