#pragma once
// Runs `model-runner-bridge` as a process the way tests, scenarios and benches need it:
// listening on 127.0.0.1:0, JSON logs on stderr, port read from the ready line.

#include "child_process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mrb::test {

struct bridge_options {
    std::string program;                ///< path of the model-runner-bridge binary
    std::vector<std::string> args;      ///< extra arguments (e.g. --proxy, --target, timeouts)
    std::vector<env_change> env;        ///< applied after HTTP_PROXY/NO_PROXY/MRB_* are unset
    std::string listen = "127.0.0.1:0"; ///< passed as --listen unless empty
    /// Passed as --admin-listen unless empty: an ephemeral port by default, so that parallel
    /// tests never contend for 54322 (admin_port() reads the port from the admin line).
    std::string admin_listen = "127.0.0.1:0";
    bool json_log = true;               ///< adds --log-format json
    std::chrono::milliseconds ready_timeout{10000};
};

/**
 * The bridge process. start() spawns it and waits for the contract's ready line
 * `model-runner-bridge listening on <host>:<port>` on stdout.
 */
class bridge_process {
public:
    explicit bridge_process(bridge_options opts);

    /// Spawns and waits for the ready line; failure carries the process's output.
    testing::AssertionResult start();

    std::uint16_t port() const { return port_; }
    /// The admin listener's port from `model-runner-bridge admin at <host>:<port>` (0: none).
    std::uint16_t admin_port() const { return admin_port_; }
    child_process& process() { return *child_; }
    bool started() const { return child_ != nullptr; }

    /// Every JSON object line on stderr so far.
    std::vector<nlohmann::json> log_entries() const;
    /// The access-log entries (`msg == "access"`) so far, in order.
    std::vector<nlohmann::json> access_log() const;
    /// Waits until at least `n` access-log entries were written.
    testing::AssertionResult wait_for_access_log(std::size_t n, std::chrono::milliseconds timeout) const;
    /// stdout and stderr as text (for failure messages).
    std::string output() const;

private:
    bridge_options options_;
    std::unique_ptr<child_process> child_;
    std::uint16_t port_ = 0;
    std::uint16_t admin_port_ = 0;
};

/// True if the access-log entry's `flags` array holds `flag`.
bool has_flag(const nlohmann::json& entry, const std::string& flag);

}  // namespace mrb::test
