#include "scenario_result.hpp"

namespace mrb::scenarios {

nlohmann::json scenario_result::to_json(bool with_transcript) const {
  nlohmann::json j = {{"file", file}, {"suite", suite}, {"name", name}, {"outcome", outcome}, {"ms", ms},
                      {"failures", failures}, {"not_observed", not_observed}};
  if (!reason.empty()) j["reason"] = reason;
  if (!seed_defect.empty()) j["seed_defect"] = seed_defect;
  if (!known_failure.empty()) j["known_failure"] = known_failure;
  if (with_transcript && !transcript.empty()) j["transcript"] = transcript;
  return j;
}

}  // namespace mrb::scenarios
