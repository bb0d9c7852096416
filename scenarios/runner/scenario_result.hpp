#pragma once

#include "bridge_hop.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mrb::scenarios {

/// How the runner is asked to run scenarios: which bridge, which proxy.
struct run_settings {
  bridge_choice bridge;
  std::string proxy = "fake";  // "fake" or "real-squid"
  bool transcript_on_pass = false;
};

/// The verdict on one scenario under one run_settings.
struct scenario_result {
  std::string file, suite, name, description, seed_defect, known_failure;
  /// pass, fail, xfail (known failure, failed as expected), xpass (known failure that passed),
  /// n/a (the scenario cannot judge this combination; `reason` says why).
  std::string outcome = "fail";
  std::string reason;
  std::vector<std::string> failures;
  std::vector<std::string> not_observed;  // checks this combination cannot observe
  double ms = 0;
  std::string transcript;

  /// pass, xfail and n/a keep a run green; fail and xpass do not (an xpass means the
  /// `known_failure` note is stale).
  bool ok() const { return outcome == "pass" || outcome == "xfail" || outcome == "n/a"; }
  nlohmann::json to_json(bool with_transcript) const;
};

}  // namespace mrb::scenarios
