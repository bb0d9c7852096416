#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mrb::test {
class child_process;
}

namespace mrb::scenarios {

/// Which bridge to judge: ours (`--bridge PATH`, the process contract of docs/architecture.md)
/// or another one (`--bridge-cmd "CMD"`, configured by environment like the seed bridge:
/// HTTP_PROXY, BRIDGE_HOST, BRIDGE_PORT, TARGET).
struct bridge_choice {
  std::string binary;   // model-runner-bridge
  std::string command;  // shell command of another bridge; wins when set
  bool ours() const { return command.empty(); }
  std::string label() const;
};

/// The bridge under test, always a child process so it can be swapped.
class bridge_hop {
public:
  explicit bridge_hop(bridge_choice choice);
  ~bridge_hop();

  /// Starts the bridge towards `proxy_url` with target `target`; waits for its ready line.
  /// Returns false with `error` (and the child's output) if it did not become ready in `timeout`.
  bool start(const nlohmann::json& section, const std::string& proxy_url, const std::string& target,
             const std::filesystem::path& dir, std::chrono::milliseconds timeout, std::string& error);

  std::uint16_t port() const { return port_; }
  bool started() const { return child_ != nullptr; }
  const bridge_choice& choice() const { return choice_; }

  /// Access-log lines (`msg == "access"`) so far (ours only).
  std::vector<nlohmann::json> access_lines() const;
  bool signal(int signo);
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::optional<int> exit_status() const;
  std::string output() const;  // stdout + stderr, for the transcript
  std::string command_line() const { return command_line_; }
  void kill();

  /// Runs a one-shot subcommand of our binary (`configure`, `models`, `doctor`).
  struct run_result {
    std::optional<int> exit_code;
    std::string out, err;
  };
  run_result run(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
                 std::chrono::milliseconds timeout) const;

  /// A port nobody listens on right now (bind port 0, read it, close).
  static std::uint16_t free_port();

private:
  bridge_choice choice_;
  std::unique_ptr<mrb::test::child_process> child_;
  std::uint16_t port_ = 0;
  std::string command_line_;
};

}  // namespace mrb::scenarios
