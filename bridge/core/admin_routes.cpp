#include "core/admin_routes.hpp"

#include <nlohmann/json.hpp>

namespace mrb {

admin_endpoint route_admin(std::string_view method, std::string_view target) noexcept
{
    target = target.substr(0, target.find('?'));
    admin_endpoint e = admin_endpoint::not_found;
    if(target == "/healthz")
        e = admin_endpoint::healthz;
    else if(target == "/readyz")
        e = admin_endpoint::readyz;
    else if(target == "/metrics")
        e = admin_endpoint::metrics;
    else if(target == "/status")
        e = admin_endpoint::status;
    if(e != admin_endpoint::not_found && method != "GET" && method != "HEAD")
        return admin_endpoint::method_not_allowed;
    return e;
}

admin_reply admin_error(admin_endpoint e)
{
    if(e == admin_endpoint::method_not_allowed)
        return {405, "text/plain; charset=utf-8", "method not allowed: the admin endpoints answer GET and HEAD\n"};
    return {404, "text/plain; charset=utf-8", "not found: the admin endpoints are /healthz, /readyz, /metrics and /status\n"};
}

admin_reply readiness_reply(const readiness& r)
{
    nlohmann::json body = {{"ready", r.ready}};
    if(!r.ready)
    {
        body["hop"] = r.hop;
        body["message"] = r.message;
        body["fix"] = r.fix;
    }
    return {r.ready ? 200u : 503u, "application/json", body.dump() + "\n"};
}

} // namespace mrb
