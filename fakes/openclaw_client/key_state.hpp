#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace fakes::openclaw {

/// OpenClaw's per-key auth state across runs: after a 401/403 the provider's inline key is
/// disabled for about 30 s, and a run in that time sends nothing. Real OpenClaw keeps it in
/// ~/.openclaw/agents/main/agent/openclaw-agent.sqlite (table auth_profile_state, key
/// `inline-api-key:<provider>`); the fake keeps the same key in a JSON file in the same folder,
/// `fake-openclaw-auth-state.json`, replaced atomically.
class key_state
{
public:
    using time_point = std::chrono::system_clock::time_point;

    /// The state file for `state_dir`, or for $HOME's OpenClaw folder; nullopt without either.
    static std::optional<std::filesystem::path> file_for(std::optional<std::string> const& state_dir);

    /// How long the key of `provider` stays disabled after `now` (zero when it is usable).
    static std::chrono::milliseconds disabled_for(
        std::filesystem::path const& file, std::string const& provider, time_point now);

    /// Disables the key of `provider` until `until`; false (and `error`) when it cannot be saved.
    static bool disable(std::filesystem::path const& file, std::string const& provider, time_point until,
        int status, std::string& error);
};

}  // namespace fakes::openclaw
