#include "error_reply.hpp"

#include "bridge_config.hpp"

#include <nlohmann/json.hpp>

namespace mrb {
namespace {

std::string seconds(std::chrono::milliseconds d)
{
    if (d.count() % 1000 == 0)
        return std::to_string(d.count() / 1000) + " s";
    return std::to_string(d.count()) + " ms";
}

std::string with_detail(std::string_view detail)
{
    return detail.empty() ? std::string() : " (" + std::string(detail) + ")";
}

} // namespace

std::string error_reply::body() const
{
    nlohmann::json j = {{"error", {{"message", message}, {"type", type}, {"code", code}}}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view reason_phrase(unsigned status) noexcept
{
    switch (status)
    {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

error_reply make_error_reply(failure what, const bridge_config& config, std::string_view detail)
{
    const bool direct = config.direct || !config.proxy;
    const std::string target = config.target_authority();
    const std::string hop = direct ? "the Model Runner at " + target
                                   : "the sandbox proxy at " + config.next_hop_authority();
    const std::string fix_address =
        direct ? " Check that the Model Runner's TCP port is enabled on the host "
                 "(docker desktop enable model-runner --tcp " + std::to_string(config.target_port) +
                 ") or set --target."
               : " Check that the bridge runs inside the sandbox and set --proxy or HTTP_PROXY to the "
                 "sandbox proxy (default http://host.docker.internal:3128).";
    const std::string prefix = "model-runner-bridge: ";
    error_reply r;
    switch (what)
    {
    case failure::proxy_refused:
        r = {502, "upstream_error", "upstream_connect_refused",
             prefix + hop + " refused the connection" + with_detail(detail) + "." + fix_address};
        break;
    case failure::proxy_unreachable:
        r = {502, "upstream_error", "upstream_unreachable",
             prefix + "cannot reach " + hop + with_detail(detail) + "." + fix_address};
        break;
    case failure::proxy_connect_timeout:
        r = {504, "upstream_error", "upstream_connect_timeout",
             prefix + "no connection to " + hop + " within " + seconds(config.connect_timeout) +
                 " (--connect-timeout)." + fix_address};
        break;
    case failure::proxy_reset:
        r = {502, "upstream_error", "upstream_reset",
             prefix + hop + " closed the connection before answering" + with_detail(detail) +
                 (direct ? "." : ". Check that the proxy can reach the Model Runner at " + target +
                                     " (docker model status on the host).")};
        break;
    case failure::proxy_bad_response:
        r = {502, "upstream_error", "upstream_protocol_error",
             prefix + hop + " sent an invalid HTTP response" + with_detail(detail) + "."};
        break;
    case failure::proxy_timeout:
        r = {504, "upstream_timeout", "upstream_timeout",
             prefix + "no response from the Model Runner at " + target +
                 (direct ? "" : " through the sandbox proxy at " + config.next_hop_authority()) +
                 " within " + seconds(config.response_header_timeout) +
                 " (--response-header-timeout). A model may still be loading; raise the timeout if needed."};
        break;
    case failure::proxy_denied:
        r = {denial_status, "proxy_policy_denied", "sandbox_proxy_denied",
             prefix + "the sandbox proxy at " + config.next_hop_authority() + " blocked the request to " +
                 target + " by its network policy" + with_detail(detail) +
                 ". Allow the Model Runner on the host: docker sandbox network proxy <sandbox> --allow-host " +
                 config.target_host + "  (sbx: sbx policy allow network " + target + ")"};
        break;
    case failure::bad_request:
        r = {400, "invalid_request_error", "bad_request_framing",
             prefix + "request rejected" + with_detail(detail) + "."};
        break;
    case failure::header_too_large:
        r = {431, "invalid_request_error", "request_header_too_large",
             prefix + "request header section larger than " + std::to_string(config.header_limit) +
                 " bytes (--max-header-bytes)."};
        break;
    case failure::body_too_large:
        r = {413, "invalid_request_error", "request_body_too_large",
             prefix + "request body larger than " + std::to_string(config.request_body_limit) +
                 " bytes (--max-body-bytes)."};
        break;
    case failure::connect_method:
        r = {405, "invalid_request_error", "connect_not_allowed",
             prefix + "CONNECT is not supported: this is a relay to the Model Runner at " + target +
                 ", not a proxy."};
        break;
    case failure::foreign_target:
        r = {403, "invalid_request_error", "foreign_target",
             prefix + "only the Model Runner at " + target + " is reachable through this bridge" +
                 with_detail(detail) + "."};
        break;
    case failure::overloaded:
        r = {503, "server_error", "too_many_connections",
             prefix + "too many concurrent connections (--max-connections " +
                 std::to_string(config.max_connections) + ")."};
        break;
    }
    return r;
}

} // namespace mrb
