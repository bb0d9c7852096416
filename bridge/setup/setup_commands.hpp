#pragma once

namespace CLI {
class App;
}

namespace mrb {
struct bridge_config;
}

namespace mrb::setup {

/// Adds the `models`, `configure` and `doctor` subcommands to the binary's CLI. Their callbacks
/// run after parsing, read `config` (resolved by then) and store the exit code documented in
/// docs/architecture.md: 0 ok, 2 usage, 4 a hop failed, 5 openclaw.json unparsable/unwritable,
/// 6 doctor found a problem.
void add_setup_commands(CLI::App& app, const mrb::bridge_config& config, int& exit_code);

}  // namespace mrb::setup
