#include "error_reply.hpp"

#include "bridge_config.hpp"
#include "hop_wording.hpp"

#include <nlohmann/json.hpp>

namespace mrb {
namespace {

using wording::with_detail;

// The fix, when a case has one, is set after.
error_reply reply(unsigned status, std::string type, std::string code, std::string message)
{
    error_reply r;
    r.status = status;
    r.type = std::move(type);
    r.code = std::move(code);
    r.message = std::move(message);
    return r;
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
    case 451: return "Unavailable For Legal Reasons";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

error_reply make_error_reply(failure what, const bridge_config& config, std::string_view detail)
{
    // The hop's sentences and fixes are worded in hop_wording, shared with the setup commands.
    const bool direct = !config.via_proxy();
    const std::string target = config.target_authority();
    const std::string hop = wording::next_hop(config);
    const std::string fix_address_text = wording::address_fix(config);
    const std::string fix_address = " " + fix_address_text;
    const std::string allow_fix = wording::allow_fix(config);
    const std::string prefix = "model-runner-bridge: ";
    const std::string sentence = prefix + wording::next_hop_failure(what, config, detail); // the next hop's failures
    error_reply r;
    switch (what)
    {
    case failure::proxy_refused:
        r = reply(502, "upstream_error", "upstream_connect_refused",
             sentence + "." + fix_address);
        r.fix = fix_address_text;
        break;
    case failure::proxy_unreachable:
        r = reply(502, "upstream_error", "upstream_unreachable",
             sentence + "." + fix_address);
        r.fix = fix_address_text;
        break;
    case failure::proxy_connect_timeout:
        r = reply(504, "upstream_error", "upstream_connect_timeout",
             sentence + "." + fix_address);
        r.fix = fix_address_text;
        break;
    case failure::proxy_reset:
        r = reply(502, "upstream_error", "upstream_reset",
             sentence +
                 (direct ? "."
                         // A proxy may deny by closing without a word: name the rule as the
                         // likely cause, saying it is not certain, and both fixes.
                         : ". Likely (not certain) its network policy blocks " + target +
                               ": allow it with " + allow_fix + ". Also check that the proxy can reach the Model Runner at " +
                               target + " (docker model status on the host)."));
        if (!direct)
            r.fix = allow_fix + "; or check that the proxy can reach the Model Runner (docker model status on the host)";
        break;
    case failure::proxy_bad_response:
        r = reply(502, "upstream_error", "upstream_protocol_error",
             prefix + hop + " sent an invalid HTTP response" + with_detail(detail) + ".");
        break;
    case failure::proxy_timeout:
        r = reply(504, "upstream_timeout", "upstream_timeout",
             prefix + "no response from the Model Runner at " + target +
                 (direct ? "" : " through the sandbox proxy at " + config.next_hop_authority()) +
                 " within " + wording::duration(config.response_header_timeout) +
                 " (--response-header-timeout). A model may still be loading; raise the timeout if needed.");
        r.fix = "Raise --response-header-timeout, or check the Model Runner with docker model status on the host.";
        break;
    case failure::proxy_denied:
        r = reply(denial_status, "proxy_policy_denied", "sandbox_proxy_denied",
             sentence + ". Allow the Model Runner on the host: " + allow_fix);
        r.fix = allow_fix;
        break;
    case failure::proxy_auth_refused:
        r = reply(denial_status, "proxy_auth_refused", "sandbox_proxy_auth_refused",
             prefix + "the sandbox proxy at " + config.next_hop_authority() +
                 " refused the bridge's login (407 Proxy Authentication Required)" + with_detail(detail) +
                 ". Fix the credentials in --proxy or HTTP_PROXY (http://user:password@host:port), or leave "
                 "them out if the proxy needs none.");
        r.fix = "Fix the credentials in --proxy or HTTP_PROXY (http://user:password@host:port).";
        break;
    case failure::bad_request:
        r = reply(400, "invalid_request_error", "bad_request_framing",
             prefix + "request rejected" + with_detail(detail) + ".");
        break;
    case failure::header_too_large:
        r = reply(431, "invalid_request_error", "request_header_too_large",
             prefix + "request header section larger than " + std::to_string(config.header_limit) +
                 " bytes (--max-header-bytes).");
        break;
    case failure::body_too_large:
        r = reply(413, "invalid_request_error", "request_body_too_large",
             prefix + "request body larger than " + std::to_string(config.request_body_limit) +
                 " bytes (--max-body-bytes).");
        break;
    case failure::connect_method:
        r = reply(405, "invalid_request_error", "connect_not_allowed",
             prefix + "CONNECT is not supported: this is a relay to the Model Runner at " + target +
                 ", not a proxy.");
        break;
    case failure::foreign_target:
        // 421 (the authority is not ours to serve), never 403, which OpenClaw reads as bad credentials.
        r = reply(421, "invalid_request_error", "foreign_target",
             prefix + "only the Model Runner at " + target + " is reachable through this bridge" +
                 with_detail(detail) + ".");
        break;
    case failure::overloaded:
        r = reply(503, "server_error", "too_many_connections",
             prefix + "too many concurrent connections (--max-connections " +
                 std::to_string(config.max_connections) + ").");
        r.fix = "Raise --max-connections or send fewer requests at once.";
        break;
    }
    return r;
}

std::string_view to_string(failure what) noexcept
{
    switch (what)
    {
    case failure::proxy_refused: return "proxy_refused";
    case failure::proxy_unreachable: return "proxy_unreachable";
    case failure::proxy_connect_timeout: return "proxy_connect_timeout";
    case failure::proxy_reset: return "proxy_reset";
    case failure::proxy_bad_response: return "proxy_bad_response";
    case failure::proxy_timeout: return "proxy_timeout";
    case failure::proxy_denied: return "proxy_denied";
    case failure::proxy_auth_refused: return "proxy_auth_refused";
    case failure::bad_request: return "bad_request";
    case failure::header_too_large: return "header_too_large";
    case failure::body_too_large: return "body_too_large";
    case failure::connect_method: return "connect_method";
    case failure::foreign_target: return "foreign_target";
    case failure::overloaded: return "overloaded";
    }
    return "unknown";
}

std::string_view failure_hop(failure what, bool direct) noexcept
{
    switch (what)
    {
    case failure::proxy_denied:
    case failure::proxy_auth_refused:
        return "proxy";
    case failure::proxy_refused:
    case failure::proxy_unreachable:
    case failure::proxy_connect_timeout:
    case failure::proxy_reset:
    case failure::proxy_bad_response:
        return direct ? "model_runner" : "proxy";
    case failure::proxy_timeout:
        // The head that did not come is the Model Runner's (a model loading, a long prompt).
        return "model_runner";
    case failure::bad_request:
    case failure::header_too_large:
    case failure::body_too_large:
    case failure::connect_method:
    case failure::foreign_target:
    case failure::overloaded:
        return "client";
    }
    return "client";
}

} // namespace mrb
