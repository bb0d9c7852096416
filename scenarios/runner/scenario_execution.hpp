#pragma once

#include "bridge_hop.hpp"
#include "client_connection.hpp"
#include "component_hop.hpp"
#include "placeholder_map.hpp"
#include "scenario.hpp"
#include "scenario_result.hpp"
#include "transcript.hpp"

#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mrb::scenarios {

/// One run of one scenario: starts the topology on ephemeral loopback ports, executes the
/// steps in order, checks every expectation and tears everything down. Stops at the first
/// step that fails (later steps would only report consequences).
class scenario_execution {
public:
  scenario_execution(const scenario& sc, run_settings settings);
  ~scenario_execution();

  scenario_result run();

private:
  struct pending_exchange {
    std::future<std::vector<exchange_record>> records;
    nlohmann::json expect;
    nlohmann::json expect_next;
  };

  scenario_result run_once();
  scenario_result run_deny_matrix();
  std::string not_applicable_reason() const;
  bool start_topology();
  void run_step(const nlohmann::json& step);
  void step_exchange(const nlohmann::json& step, bool raw);
  void step_await(const nlohmann::json& step);
  void step_openclaw(const nlohmann::json& step);
  void step_run(const nlohmann::json& step);
  void step_expect(const nlohmann::json& step);
  void check_exchanges(const std::vector<exchange_record>& recs, const nlohmann::json& expect,
                       const nlohmann::json& expect_next);
  std::vector<std::string> poll_once(const nlohmann::json& step);
  component_hop* hop(const std::string& name);
  std::chrono::milliseconds remaining() const;
  std::chrono::milliseconds bounded(std::chrono::milliseconds want) const;
  void fail(const std::string& what);
  void not_observed(const std::string& what);

  const scenario& sc_;
  run_settings settings_;
  transcript transcript_;
  placeholder_map vars_;
  std::filesystem::path dir_;
  std::chrono::steady_clock::time_point deadline_;
  std::unique_ptr<component_hop> model_runner_;
  std::unique_ptr<component_hop> proxy_;
  nlohmann::json model_runner_options_;
  nlohmann::json proxy_options_;
  std::unique_ptr<bridge_hop> bridge_;
  std::map<std::string, std::shared_ptr<client_connection>> connections_;
  std::map<std::string, pending_exchange> pending_;
  std::vector<std::string> failures_;
  std::vector<std::string> not_observed_;
};

}  // namespace mrb::scenarios
