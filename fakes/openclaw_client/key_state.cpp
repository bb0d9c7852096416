#include "key_state.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

namespace fakes::openclaw {

namespace {

std::string
key_name(std::string const& provider)
{
    return "inline-api-key:" + provider;
}

nlohmann::json
read_state(std::filesystem::path const& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return nlohmann::json::object();
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    // A damaged file counts as no state, as a fresh install would.
    return j.is_object() ? j : nlohmann::json::object();
}

std::int64_t
unix_ms(key_state::time_point t)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::optional<std::filesystem::path>
key_state::file_for(std::optional<std::string> const& state_dir)
{
    std::filesystem::path dir;
    if (state_dir && !state_dir->empty())
        dir = *state_dir;
    else if (char const* home = std::getenv("HOME"); home && *home)
        dir = std::filesystem::path(home) / ".openclaw" / "agents" / "main" / "agent";
    else
        return std::nullopt;
    return dir / "fake-openclaw-auth-state.json";
}

std::chrono::milliseconds
key_state::disabled_for(std::filesystem::path const& file, std::string const& provider, time_point now)
{
    auto const state = read_state(file);
    auto const it = state.find(key_name(provider));
    if (it == state.end() || !it->is_object())
        return std::chrono::milliseconds(0);
    auto const until = it->value("disabled_until_ms", std::int64_t{0});
    return std::chrono::milliseconds(std::max<std::int64_t>(0, until - unix_ms(now)));
}

bool
key_state::disable(std::filesystem::path const& file, std::string const& provider, time_point until, int status,
    std::string& error)
{
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    auto state = read_state(file);
    state[key_name(provider)] = {{"disabled_until_ms", unix_ms(until)}, {"reason", "auth"}, {"status", status}};
    auto const tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << state.dump(2) << "\n";
        if (!out)
        {
            error = "cannot write " + tmp;
            return false;
        }
    }
    std::filesystem::rename(tmp, file, ec);
    if (ec)
    {
        error = "cannot replace " + file.string() + ": " + ec.message();
        return false;
    }
    return true;
}

}  // namespace fakes::openclaw
