#pragma once
// The admin listener's routes (GET /healthz, /readyz, /metrics, /status), sans I/O: which endpoint a
// request names, and the plain answers that need no state. The admin listener is a separate,
// loopback-only port (Envoy's and Caddy's convention), so no Model Runner path is shadowed.

#include <string>
#include <string_view>

namespace mrb {

enum class admin_endpoint
{
    healthz,
    readyz,
    metrics,
    status, ///< JSON for `model-runner-bridge status` (core/status_view.hpp)
    not_found,
    method_not_allowed,
};

/// `method` as sent ("GET"); `target` in origin-form, query ignored. HEAD is answered like GET.
admin_endpoint route_admin(std::string_view method, std::string_view target) noexcept;

struct admin_reply
{
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

/// The content type of the Prometheus text exposition format, version 0.0.4.
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Answers for not_found / method_not_allowed (one line, naming the routes that exist).
admin_reply admin_error(admin_endpoint e);

/// The chain's readiness as /readyz reports it: 200 when ready, 503 otherwise, with the hop that
/// is not ready and the fix, the way the bridge's error replies word them.
struct readiness
{
    bool ready = false;
    std::string hop;     ///< "proxy" or "model_runner" when not ready
    std::string message; ///< what is wrong
    std::string fix;     ///< the command or setting that fixes it
};
admin_reply readiness_reply(const readiness& r);

} // namespace mrb
