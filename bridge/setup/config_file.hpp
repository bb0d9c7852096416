#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace mrb::setup {

/// Reading and replacing OpenClaw's config file without ever leaving a half-written or lost file.
class config_file {
public:
  /// The file's bytes; nullopt with no error when it does not exist.
  static std::optional<std::string> read(const std::filesystem::path& path, std::error_code& ec);

  /// Replaces `path` with `text` atomically: a missing directory is created (0700), the old file
  /// is copied to a new timestamped backup `<path>.bak-YYYYMMDDTHHMMSSZ` (never over an existing
  /// one), the text goes to a temporary file in the same directory with the old file's mode (0600
  /// for a new file), is fsync'ed and renamed over `path`, and the directory is fsync'ed so the
  /// rename survives a crash. Backups kept: the oldest (the user's original) and the newest
  /// `backups_kept`. Returns the backup written, or nullopt for a new file.
  static std::optional<std::filesystem::path> write(const std::filesystem::path& path, const std::string& text,
                                                    std::error_code& ec);

  static constexpr std::size_t backups_kept = 5;

  /// The backups of `path`, oldest first.
  static std::vector<std::filesystem::path> backups(const std::filesystem::path& path);

  /// $OPENCLAW_CONFIG_PATH, else $OPENCLAW_STATE_DIR/openclaw.json, else
  /// $OPENCLAW_HOME/.openclaw/openclaw.json, else $HOME/.openclaw/openclaw.json.
  static std::filesystem::path default_path();
};

}  // namespace mrb::setup
