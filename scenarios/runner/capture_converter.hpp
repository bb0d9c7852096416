#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace mrb::scenarios {

/// `--from-capture`: turns a bridge capture (docs/capture.md, JSON Lines, one object per
/// exchange) into a scenario whose fake Model Runner replays the recorded response of one
/// exchange: status, headers, event timing and where it was cut. Sans-I/O.
class capture_converter {
public:
  /// Converts the exchanges of a capture text; `index` picks one (-1: the last one, usually
  /// the failure being reported).
  static nlohmann::json convert(const std::string& jsonl, const std::string& name, int index = -1);
  static nlohmann::json convert_file(const std::filesystem::path& file, int index = -1);
};

}  // namespace mrb::scenarios
