#include "config_locator.hpp"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace fakes::openclaw {

namespace {

std::optional<std::string>
env_value(char const* name)
{
    char const* v = std::getenv(name);
    if (v == nullptr || *v == '\0')
        return std::nullopt;
    return std::string(v);
}

bool
set(std::optional<std::string> const& v)
{
    return v && !v->empty();
}

std::string
join(std::string dir, std::string const& tail)
{
    if (!dir.empty() && dir.back() == '/')
        dir.pop_back();
    return dir + "/" + tail;
}

}  // namespace

config_env
config_env::from_process()
{
    config_env env;
    env.config_path = env_value("OPENCLAW_CONFIG_PATH");
    env.state_dir = env_value("OPENCLAW_STATE_DIR");
    env.openclaw_home = env_value("OPENCLAW_HOME");
    env.home = env_value("HOME");
    if (!env.home)
    {
        // Node's os.homedir() falls back to the passwd entry.
        if (passwd const* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr)
            env.home = std::string(pw->pw_dir);
    }
    return env;
}

std::string
config_locator::expand_home(std::string const& path, std::optional<std::string> const& home)
{
    if (!set(home) || path.empty() || path[0] != '~')
        return path;
    if (path.size() == 1)
        return *home;
    if (path[1] == '/')
        return join(*home, path.substr(2));
    return path;  // ~user is not expanded
}

std::optional<config_location>
config_locator::locate(std::optional<std::string> const& cli_path, config_env const& env)
{
    if (set(cli_path))
        return config_location{expand_home(*cli_path, env.home), "--config"};
    if (set(env.config_path))
        return config_location{expand_home(*env.config_path, env.home), "OPENCLAW_CONFIG_PATH"};
    if (set(env.state_dir))
        return config_location{
            join(expand_home(*env.state_dir, env.home), "openclaw.json"), "OPENCLAW_STATE_DIR"};
    if (set(env.openclaw_home))
        return config_location{
            join(expand_home(*env.openclaw_home, env.home), ".openclaw/openclaw.json"),
            "OPENCLAW_HOME"};
    if (set(env.home))
        return config_location{join(*env.home, ".openclaw/openclaw.json"), "HOME"};
    return std::nullopt;
}

}  // namespace fakes::openclaw
