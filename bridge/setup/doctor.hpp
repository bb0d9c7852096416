#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mrb {
struct bridge_config;
}

namespace mrb::setup {

/// One line of the diagnosis.
struct doctor_check {
  enum class status { ok, fail, skip };
  std::string name;
  status result = status::skip;
  std::string detail;                  ///< what was found (OK) or what is wrong (FAIL)
  std::string fix;                     ///< the command that fixes a FAIL
  std::optional<double> latency_ms;
};

struct doctor_options {
  std::filesystem::path openclaw_config;         ///< the openclaw.json to check
  std::string model;                             ///< model for the completion check; "" = configured/first
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds completion_timeout{300'000};  ///< a first request may load the model
  /// Send one tiny completion through the running bridge as well (--deep).
  bool deep = false;
  /// The global flags the user gave, shell-quoted with a leading space: every printed fix that
  /// runs model-runner-bridge carries them, so that it works when pasted.
  std::string fix_flags;
  /// Flags of doctor itself that a pasted configure needs too (" --config PATH").
  std::string config_flag;
  /// Called with each check as soon as it is done (progress); may be empty.
  std::function<void(const doctor_check&)> on_check;
  /// Called with what doctor is about to wait for ("the Model Runner's model list"), so that a
  /// terminal can show it while it lasts; may be empty.
  std::function<void(const std::string&)> on_wait;
  /// Environment lookup (tests pass their own).
  std::function<std::optional<std::string>(const char*)> env;
};

/// Walks the chain hop by hop: proxy variables, proxy reachable, proxy allows the target, Model
/// Runner answering, models pulled, the model answers a one-token completion, the running bridge
/// (and the model list through it; --deep: a completion through it), openclaw.json. A check
/// whose prerequisite failed is skipped, not guessed.
class doctor {
public:
  doctor(const bridge_config& config, doctor_options options);

  std::vector<doctor_check> run() const;

  static bool all_passed(const std::vector<doctor_check>& checks);
  static std::string to_text(const std::vector<doctor_check>& checks);
  /// One check as to_text prints it, its name padded to `width`.
  static std::string to_text(const doctor_check& check, std::size_t width);
  static nlohmann::ordered_json to_json(const std::vector<doctor_check>& checks);

private:
  doctor_check check_proxy_variables() const;
  /// Something listens on the bridge's port, and it is this bridge (its Via header or its JSON
  /// error naming it); then the model list through it. Appends one or two checks.
  void check_running_bridge(std::vector<doctor_check>& checks, const std::string& model,
                            const std::function<void()>& flush) const;
  std::string command(const std::string& subcommand) const;
  void waiting(const std::string& what) const;
  doctor_check check_openclaw_config() const;

  const bridge_config& config_;
  doctor_options options_;
};

}  // namespace mrb::setup
