#pragma once

#include <optional>
#include <string>

namespace fakes::openclaw {

/// The environment variables OpenClaw consults to find its config, captured once so the lookup
/// itself stays a pure function. Empty variables count as unset.
struct config_env
{
    std::optional<std::string> config_path;  // OPENCLAW_CONFIG_PATH
    std::optional<std::string> state_dir;    // OPENCLAW_STATE_DIR
    std::optional<std::string> openclaw_home;  // OPENCLAW_HOME
    std::optional<std::string> home;         // HOME (or the passwd entry when HOME is unset)

    static config_env from_process();
};

struct config_location
{
    std::string path;
    std::string source;  // "--config", "OPENCLAW_CONFIG_PATH", ..., "HOME"
};

/// Finds openclaw.json as OpenClaw does: `--config`, then `OPENCLAW_CONFIG_PATH`, then
/// `$OPENCLAW_STATE_DIR/openclaw.json`, then `$OPENCLAW_HOME/.openclaw/openclaw.json`, then
/// `~/.openclaw/openclaw.json`. A leading `~` is expanded with the home directory.
class config_locator
{
public:
    /// nullopt only when nothing names a path and no home directory is known.
    static std::optional<config_location> locate(
        std::optional<std::string> const& cli_path, config_env const& env);

    static std::string expand_home(std::string const& path, std::optional<std::string> const& home);
};

}  // namespace fakes::openclaw
