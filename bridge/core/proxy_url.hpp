#pragma once
// Resolves where the bridge sends requests: the proxy URL (flag, $HTTP_PROXY, $http_proxy, then
// the sandbox default) and `host:port` addresses for --listen / --target. Start-up only, so errors
// are exceptions (std::invalid_argument with a message fit for the user).

#include "bridge_config.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mrb {

/// The sandbox proxy as seen from inside a Docker sandbox.
inline constexpr std::string_view default_proxy_url_value = "http://host.docker.internal:3128";

/// Looks an environment variable up; returns nullopt when unset (tests pass a fake).
using env_lookup = std::function<std::optional<std::string>(const char* name)>;

/// The real environment.
env_lookup process_env();

/// `--proxy` if given, else $HTTP_PROXY, else $http_proxy, else http://host.docker.internal:3128.
/// Empty values count as unset. NO_PROXY is deliberately ignored (see docs/bridge.md).
std::string choose_proxy_url(const std::optional<std::string>& flag, const env_lookup& env);

/// The chosen proxy URL and where it came from, so a usage error names the real source.
struct proxy_choice
{
    std::string url;
    std::string source; ///< "--proxy", "HTTP_PROXY", "http_proxy" or "default"
};
proxy_choice choose_proxy(const std::optional<std::string>& flag, const env_lookup& env);

/// The URL as it may be shown to the user: the password of `user:password@` replaced by `***`.
/// Works on text that does not parse too (everything between the first ':' of the userinfo and
/// the last '@' is hidden), since that is exactly when it ends up in an error message.
std::string redact_proxy_url(std::string_view url);

/// Parses `http://[user[:password]@]host[:port][/]`. The scheme may be omitted; the port defaults
/// to 3128. userinfo becomes `Proxy-Authorization: Basic base64(user:password)` (percent-decoded).
/// Throws std::invalid_argument (https proxies, paths, bad ports, empty host); its message shows
/// the URL only as redact_proxy_url() does.
proxy_endpoint parse_proxy_url(std::string_view url);

struct host_port
{
    std::string host; ///< IPv6 without brackets
    std::uint16_t port = 0;
};

/// Parses `host:port`, `[v6]:port`, or `host` (then default_port). Port 0 is allowed only when
/// allow_zero (for --listen). Throws std::invalid_argument.
host_port parse_host_port(std::string_view text, std::optional<std::uint16_t> default_port, bool allow_zero);

/// 127.0.0.0/8, ::1 and "localhost": addresses that keep the bridge private to the sandbox.
bool is_loopback_host(std::string_view host);

} // namespace mrb
