#pragma once

#include "scenario_result.hpp"

#include <string>
#include <vector>

namespace mrb::scenarios {

/// Renders docs/conformance.md from the results of every scenario under each column
/// (bridge x proxy). Sans-I/O.
class matrix_report {
public:
  struct column {
    std::string title;  // e.g. "model-runner-bridge / fake proxy"
    std::vector<scenario_result> results;  // same order as every other column
  };

  static std::string markdown(const std::vector<column>& columns, const std::string& command,
                              const std::string& generated_at);
};

}  // namespace mrb::scenarios
