#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace mrb::scenarios {

/// One scenario file (docs/scenarios.md): what runs, what is done, what must be observed.
/// Loading validates every key so a typo fails loudly instead of silently checking nothing.
struct scenario {
  std::filesystem::path file;
  std::string name;          // the file's stem
  std::string suite;         // the file's folder
  std::string description;
  std::string seed_defect;   // the seed bridge defect this scenario targets (matrix), if any
  std::vector<std::string> needs;  // "fake_proxy", "access_log", "bridge_cli", "capture", "squid"
  std::string known_failure; // non-empty: failing is expected and reported as such
  std::chrono::milliseconds timeout{10000};
  nlohmann::json topology = nlohmann::json::object();
  nlohmann::json steps = nlohmann::json::array();

  bool needs_feature(const std::string& f) const;

  /// Parses and validates; throws std::runtime_error naming the file and the bad key.
  static scenario from_json(const nlohmann::json& j, const std::filesystem::path& file);
  static scenario load(const std::filesystem::path& file);
  nlohmann::json to_json() const;

 private:
  static scenario from_json_unchecked(const nlohmann::json& j, const std::filesystem::path& file);
};

}  // namespace mrb::scenarios
