#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mrb::scenarios {

/// Compares an expected JSON pattern with an actual value and appends one message per mismatch.
/// Objects match as subsets (keys not in the pattern are ignored), arrays element by element with
/// equal length, scalars by equality. Operator objects widen a pattern:
/// `{"$contains": "s"}`, `{"$regex": "re"}`, `{"$absent": true}` (the key must be missing),
/// `{"$any": true}` (present, any value), `{"$ge": n}`, `{"$le": n}`, `{"$set": [...]}`
/// (an array with the same elements in any order), `{"$has": [...]}` (an array containing these).
class json_match {
public:
  static void compare(const nlohmann::json& pattern, const nlohmann::json& actual,
                      const std::string& where, std::vector<std::string>& failures);

  /// True when the pattern is an operator object.
  static bool is_operator(const nlohmann::json& pattern);

  /// Shorthand: true when `actual` matches.
  static bool matches(const nlohmann::json& pattern, const nlohmann::json& actual);
};

}  // namespace mrb::scenarios
