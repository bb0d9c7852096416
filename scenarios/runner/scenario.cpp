#include "scenario.hpp"

#include "client_expectation.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace mrb::scenarios {

namespace {

const std::set<std::string> top_keys = {"$schema", "name", "suite", "description", "seed_defect", "needs",
                                        "known_failure", "timeout_ms", "topology", "steps"};
const std::set<std::string> topology_keys = {"model_runner", "proxy", "bridge", "files"};
const std::set<std::string> bridge_keys = {"args", "env", "target", "proxy_url", "expect_start_failure",
                                           "capture", "capture_bodies", "listen_port"};
const std::set<std::string> features = {"fake_proxy", "access_log", "bridge_cli", "capture", "squid"};

// Keys each step kind accepts (besides "do" and "note").
const std::map<std::string, std::set<std::string>> step_keys = {
    {"request", {"id", "method", "path", "http_version", "headers", "default_headers", "body", "body_json",
                 "pad_to", "body_repeat", "connection", "async", "abort", "half_close", "send_gap_ms",
                 "deadline_ms", "expect"}},
    {"raw", {"id", "bytes", "repeat", "connection", "async", "responses", "half_close", "deadline_ms", "expect",
             "expect_next"}},
    {"await", {"id", "expect"}},
    {"openclaw", {"id", "options", "expect"}},
    {"sleep", {"ms"}},
    {"set", {"component", "options"}},
    {"stop", {"component"}},
    {"start", {"component"}},
    {"signal", {"signal"}},
    {"write_file", {"path", "content", "json"}},
    {"run", {"id", "args", "env", "expect_exit", "stdout_contains", "stderr_contains", "deadline_ms"}},
    {"expect", {"model_runner", "proxy", "bridge_log", "bridge", "file", "within_ms"}},
};

std::string where(const std::filesystem::path& f) { return f.string() + ": "; }

}  // namespace

bool scenario::needs_feature(const std::string& f) const {
  return std::find(needs.begin(), needs.end(), f) != needs.end();
}

scenario scenario::from_json(const nlohmann::json& j, const std::filesystem::path& file) {
  try {
    return from_json_unchecked(j, file);
  } catch (const nlohmann::json::exception& e) {
    // A value of the wrong type ("description": 7, "do": 5) must name the file like every
    // other refusal; nlohmann's own message alone does not say where.
    throw std::runtime_error(where(file) + e.what());
  }
}

scenario scenario::from_json_unchecked(const nlohmann::json& j, const std::filesystem::path& file) {
  if (!j.is_object()) throw std::runtime_error(where(file) + "a scenario is a JSON object");
  for (const auto& [k, v] : j.items())
    if (!top_keys.count(k)) throw std::runtime_error(where(file) + "unknown key '" + k + "'");
  scenario s;
  s.file = file;
  s.name = j.value("name", file.stem().string());
  s.suite = j.value("suite", file.parent_path().filename().string());
  if (!file.empty() && s.name != file.stem().string())
    throw std::runtime_error(where(file) + "name '" + s.name + "' differs from the file name");
  s.description = j.value("description", "");
  if (s.description.empty()) throw std::runtime_error(where(file) + "'description' is required");
  s.seed_defect = j.value("seed_defect", "");
  s.needs = j.value("needs", std::vector<std::string>{});
  for (const auto& n : s.needs)
    if (!features.count(n)) throw std::runtime_error(where(file) + "unknown feature in 'needs': " + n);
  s.known_failure = j.value("known_failure", "");
  s.timeout = std::chrono::milliseconds(j.value("timeout_ms", 10000));
  s.topology = j.value("topology", nlohmann::json::object());
  for (const auto& [k, v] : s.topology.items())
    if (!topology_keys.count(k)) throw std::runtime_error(where(file) + "unknown topology key '" + k + "'");
  if (s.topology.contains("bridge"))
    for (const auto& [k, v] : s.topology["bridge"].items())
      if (!bridge_keys.count(k)) throw std::runtime_error(where(file) + "unknown topology.bridge key '" + k + "'");
  s.steps = j.value("steps", nlohmann::json::array());
  if (!s.steps.is_array() || s.steps.empty()) throw std::runtime_error(where(file) + "'steps' must be a non-empty array");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const auto& st = s.steps[i];
    const std::string at = "step " + std::to_string(i + 1) + ": ";
    if (!st.is_object() || !st.contains("do")) throw std::runtime_error(where(file) + at + "needs a 'do'");
    const auto kind = st["do"].get<std::string>();
    auto it = step_keys.find(kind);
    if (it == step_keys.end()) throw std::runtime_error(where(file) + at + "unknown step '" + kind + "'");
    for (const auto& [k, v] : st.items())
      if (k != "do" && k != "note" && !it->second.count(k))
        throw std::runtime_error(where(file) + at + "unknown key '" + k + "' for '" + kind + "'");
    try {
      if ((kind == "request" || kind == "raw" || kind == "await") && st.contains("expect"))
        client_expectation::validate(st["expect"]);
      if (kind == "raw" && st.contains("expect_next")) {
        for (const auto& e : st["expect_next"]) client_expectation::validate(e);
      }
    } catch (const std::exception& e) {
      throw std::runtime_error(where(file) + at + e.what());
    }
    if ((kind == "request" || kind == "raw") && st.contains("id") && !ids.insert(st["id"].get<std::string>()).second)
      throw std::runtime_error(where(file) + at + "duplicate id");
  }
  return s;
}

scenario scenario::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(where(file) + "cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false, true);
  if (j.is_discarded()) throw std::runtime_error(where(file) + "not valid JSON");
  return from_json(j, file);
}

nlohmann::json scenario::to_json() const {
  nlohmann::json j = {{"name", name}, {"suite", suite}, {"description", description}};
  if (!seed_defect.empty()) j["seed_defect"] = seed_defect;
  if (!needs.empty()) j["needs"] = needs;
  if (!known_failure.empty()) j["known_failure"] = known_failure;
  j["timeout_ms"] = timeout.count();
  j["topology"] = topology;
  j["steps"] = steps;
  return j;
}

}  // namespace mrb::scenarios
