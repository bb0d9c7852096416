#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace mrb::scenarios {

/// `${name}` substitution in scenario JSON, so a scenario can name ports and paths that exist
/// only at run time (`${model_runner.port}`, `${proxy.port}`, `${bridge.port}`, `${dir}`, ...).
/// A string that is exactly one placeholder with an integer value becomes a JSON number, so the
/// fakes' `options_from_json` receives ports as numbers. Unknown names are left untouched.
class placeholder_map {
public:
  void set(const std::string& name, const std::string& value) { values_[name] = value; }
  void set(const std::string& name, long long value) { values_[name] = std::to_string(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  std::string expand(const std::string& text) const;
  nlohmann::json expand(const nlohmann::json& value) const;

private:
  std::map<std::string, std::string> values_;
};

}  // namespace mrb::scenarios
