#include "failure_journal.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace mrb {

std::filesystem::path failure_journal_path(std::string_view xdg_state_home, std::string_view home, unsigned port)
{
    std::filesystem::path base;
    // XDG Base Directory: a relative XDG_STATE_HOME is invalid and is ignored.
    if (!xdg_state_home.empty() && xdg_state_home.front() == '/')
        base = std::filesystem::path(xdg_state_home);
    else if (!home.empty())
        base = std::filesystem::path(home) / ".local" / "state";
    else
        return {};
    return base / "model-runner-bridge" / ("last-failures-" + std::to_string(port) + ".json");
}

std::string iso8601_utc(std::chrono::system_clock::time_point t)
{
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool failure_journal_state::record(failure_note note, std::chrono::steady_clock::time_point now)
{
    const std::string hop = note.hop;
    last_[hop] = std::move(note);
    dirty_[hop] = true;
    pending_ = true;
    // Due when some dirty hop has not been written within the interval.
    for (const auto& [h, dirty] : dirty_)
    {
        if (!dirty)
            continue;
        auto it = written_at_.find(h);
        if (it == written_at_.end() || now - it->second >= min_interval_)
            return true;
    }
    return false;
}

void failure_journal_state::written(std::chrono::steady_clock::time_point now)
{
    for (auto& [h, dirty] : dirty_)
        if (dirty)
        {
            written_at_[h] = now;
            dirty = false;
        }
    pending_ = false;
}

std::string failure_journal_state::render() const
{
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [hop, n] : last_)
        j[hop] = {{"time", iso8601_utc(n.time)}, {"status", n.status}, {"kind", n.kind},
                  {"message", n.message}, {"fix", n.fix}};
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace mrb
