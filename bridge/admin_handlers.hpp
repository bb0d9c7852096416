#pragma once
// The binary's admin side: what the admin listener answers (/healthz, /readyz, /metrics, /status),
// starting that listener, and the `status` subcommand that reads it. Beside main.cpp (flags and
// wiring) rather than in net/, because /readyz's probe is setup's chain client.

#include "core/admin_routes.hpp"
#include "core/bridge_config.hpp"
#include "core/metrics.hpp"
#include "core/status_view.hpp"
#include "net/access_log.hpp"
#include "net/admin_server.hpp"
#include "net/server.hpp"

#include <chrono>
#include <memory>

namespace mrb {

/// /readyz's probe: the request `doctor` sends first (the model list through the chain).
readiness probe_chain(const bridge_config& c);

/// What the admin listener serves; runs on the admin thread only.
class admin_state
{
public:
    admin_state(const bridge_config& c, const server& srv) : config_(c), srv_(srv) {}

    admin_reply answer(admin_endpoint e);
    void keep_history();

private:
    static double seconds(std::chrono::steady_clock::time_point t);
    metrics_snapshot snapshot() const;
    readiness ready();

    const bridge_config& config_;
    const server& srv_;
    const double started_ = seconds(std::chrono::steady_clock::now());
    snapshot_history history_;
    bool probed_ = false;
    std::chrono::steady_clock::time_point probed_at_{};
    readiness last_;
};

/// Starts the admin listener; nullptr when it is off, or when the default port is taken (warned:
/// the relay matters more). An address given explicitly that cannot be bound is exit 3.
std::unique_ptr<admin_server> start_admin(const bridge_config& c, admin_state& state, access_log& log,
                                          bool explicit_address, int& exit_code);

struct status_options
{
    bool watch = false;
    bool json = false;
    std::chrono::milliseconds interval{2'000};
    unsigned iterations = 0; ///< --watch: stop after this many screens (0: until interrupted)
};

/// `status`: one GET /status from the admin listener, shown as a screen or as JSON.
int show_status(const bridge_config& c, const status_options& o);

} // namespace mrb
