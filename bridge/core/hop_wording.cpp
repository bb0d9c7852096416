#include "hop_wording.hpp"

#include "bridge_config.hpp"

namespace mrb::wording {

std::string duration(std::chrono::milliseconds d)
{
    if (d.count() % 1000 == 0)
        return std::to_string(d.count() / 1000) + " s";
    return std::to_string(d.count()) + " ms";
}

std::string with_detail(std::string_view detail)
{
    return detail.empty() ? std::string() : " (" + std::string(detail) + ")";
}

std::string runner(const bridge_config& c)
{
    return "the Model Runner at " + c.target_authority();
}

std::string next_hop(const bridge_config& c)
{
    return c.via_proxy() ? "the sandbox proxy at " + c.next_hop_authority() : runner(c);
}

std::string runner_port_fix(const bridge_config& c)
{
    return "Check that the Model Runner's TCP port is enabled on the host (docker desktop enable model-runner --tcp " +
           std::to_string(c.target_port) + ") or set --target.";
}

std::string address_fix(const bridge_config& c)
{
    if (!c.via_proxy())
        return runner_port_fix(c);
    return "Check that the bridge runs inside the sandbox and set --proxy or HTTP_PROXY to the sandbox proxy "
           "(default http://host.docker.internal:3128).";
}

std::string allow_fix(const bridge_config& c)
{
    return "docker sandbox network proxy <sandbox> --allow-host " + c.target_host +
           "  (sbx: sbx policy allow network " + c.target_authority() + ")";
}

std::string next_hop_failure(failure what, const bridge_config& c, std::string_view detail)
{
    switch (what)
    {
    case failure::proxy_refused:
        return next_hop(c) + " refused the connection" + with_detail(detail);
    case failure::proxy_unreachable:
        return "cannot reach " + next_hop(c) + with_detail(detail);
    case failure::proxy_connect_timeout:
        return "no connection to " + next_hop(c) + " within " + duration(c.connect_timeout) + " (--connect-timeout)";
    case failure::proxy_reset:
        return next_hop(c) + " closed the connection before answering" + with_detail(detail);
    case failure::proxy_denied:
        // Only a proxy denies; named as one even if asked about a direct configuration.
        return "the sandbox proxy at " + c.next_hop_authority() + " blocked the request to " + c.target_authority() +
               " by its network policy" + with_detail(detail);
    default:
        return {};
    }
}

} // namespace mrb::wording
