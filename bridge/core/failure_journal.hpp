#pragma once
// The last failure per hop, kept where `doctor` and `start-openclaw` can show it (OpenClaw hides
// our text behind "This is usually temporary" for 5xx and timeouts). Sans-I/O: the file's path,
// its JSON, and when to write it; bridge/net/failure_journal.hpp does the writing.
//
// File: ${XDG_STATE_HOME:-$HOME/.local/state}/model-runner-bridge/last-failures-<listen port>.json
// {"proxy": {"time": "2026-11-28T10:00:00Z", "status": 451, "kind": "proxy_denied",
//            "message": "...", "fix": "..."}, "model_runner": {...}, "client": {...}}

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace mrb {

struct failure_note
{
    std::string hop;  ///< "proxy", "model_runner" or "client"
    std::chrono::system_clock::time_point time;
    unsigned status = 0;  ///< the status sent to the client
    std::string kind;     ///< to_string(failure)
    std::string message;
    std::string fix;
};

/// The journal's path from the two variables (empty strings count as unset); empty when both are
/// unset, because then there is no place for it.
std::filesystem::path failure_journal_path(std::string_view xdg_state_home, std::string_view home, unsigned port);

/// `2026-11-28T10:00:00Z` (UTC, whole seconds).
std::string iso8601_utc(std::chrono::system_clock::time_point t);

/// What the file holds and when it is due: a hop's entry is written at once unless that hop was
/// written less than `min_interval` ago; then it waits (pending) for the next note after the
/// interval, or for flush at exit.
class failure_journal_state
{
public:
    explicit failure_journal_state(std::chrono::steady_clock::duration min_interval = std::chrono::seconds(1))
        : min_interval_(min_interval)
    {
    }

    /// Keeps `note` as its hop's last failure; true when the file should be written now.
    bool record(failure_note note, std::chrono::steady_clock::time_point now);
    /// The file was written at `now`: nothing is pending any more.
    void written(std::chrono::steady_clock::time_point now);
    bool pending() const { return pending_; }
    /// The file's content (a JSON object keyed by hop, newline-terminated).
    std::string render() const;

private:
    std::chrono::steady_clock::duration min_interval_;
    std::map<std::string, failure_note> last_;
    std::map<std::string, std::chrono::steady_clock::time_point> written_at_;
    std::map<std::string, bool> dirty_;
    bool pending_ = false;
};

} // namespace mrb
