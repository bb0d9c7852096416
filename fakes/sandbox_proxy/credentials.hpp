#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fakes::sandbox_proxy {

/// One header line, in the order it was received or will be sent.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// One provider of the credential table (external-systems.md §1.5, sbx credentials-local.md).
struct provider
{
    std::string name;
    std::vector<std::string> env_vars;  // first one set wins
    std::vector<std::string> domains;   // exact host names
    std::string header;                 // "Authorization" or "x-api-key" / "x-goog-api-key"
    std::string format;                 // "Bearer {key}" or "{key}"
};

const std::vector<provider>&
provider_table();

/// Replaces whatever key the sandbox sent with the key from the proxy's own environment, for
/// the documented provider hosts only. Never for localhost / Model Runner traffic (those are
/// not provider hosts), never for bypassed hosts (no MITM).
class credentials
{
public:
    using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

    /// Reads the keys once (the real daemon reads them at start-up). `overrides` wins over the
    /// environment, so tests do not depend on the caller's environment.
    explicit credentials(env_lookup env, std::map<std::string, std::string> overrides = {});

    /// Reads the process environment.
    static env_lookup
    process_environment();

    /// The provider whose domains contain `host` (normalised), if any.
    static const provider*
    provider_for(std::string_view host);

    /// Rewrites the auth header of `headers` in place. Returns the provider name when a key was
    /// injected, nothing when the host is not a provider host or no key is configured.
    std::optional<std::string>
    inject(std::string_view host, header_list& headers) const;

    /// Every configured key value (so tests and the proxy can check nothing leaks back).
    std::vector<std::string>
    secrets() const;

private:
    std::map<std::string, std::string> keys_;  // env var -> value
};

} // namespace fakes::sandbox_proxy
