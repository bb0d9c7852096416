#include "admin_handlers.hpp"

#include "net/admin_client.hpp"
#include "net/process_figures.hpp"

#ifdef MRB_HAVE_SETUP
#include "setup/chain_client.hpp"
#endif

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <thread>

#include <unistd.h>

namespace mrb {

mrb::readiness probe_chain(const mrb::bridge_config& c)
{
#ifdef MRB_HAVE_SETUP
    mrb::setup::chain_client client(c);
    mrb::setup::hop_failure failure;
    if (client.fetch("GET", "/engines/v1/models", "", std::chrono::seconds(5), failure))
        return {true, "", "", ""};
    using p = mrb::setup::hop_problem;
    const bool proxy = failure.problem == p::proxy_unreachable || failure.problem == p::proxy_refused ||
                       failure.problem == p::proxy_connect_timeout || failure.problem == p::proxy_denied;
    return {false, proxy && c.via_proxy() ? "proxy" : "model_runner", failure.message, failure.fix};
#else
    (void)c;
    return {false, "bridge", "this build has no readiness probe (built with MRB_BRIDGE_SETUP=OFF)", ""};
#endif
}

mrb::admin_reply admin_state::answer(mrb::admin_endpoint e)
{
    switch (e)
    {
    case mrb::admin_endpoint::healthz:
        return {200, "text/plain; charset=utf-8", "ok\n"};
    case mrb::admin_endpoint::readyz:
        return mrb::readiness_reply(ready());
    case mrb::admin_endpoint::metrics:
        return {200, std::string(mrb::prometheus_content_type), mrb::render_prometheus(snapshot())};
    case mrb::admin_endpoint::status:
    {
        const double now = seconds(std::chrono::steady_clock::now());
        const mrb::metrics_snapshot m = snapshot();
        const auto before = history_.minute_ago(now);
        const mrb::status_figures s = mrb::compute_status(
            m, before ? before->first : mrb::metrics_snapshot{}, before ? before->second : now - started_,
            now - started_, ready());
        return {200, "application/json", mrb::to_json(s).dump() + "\n"};
    }
    default:
        return mrb::admin_error(e);
    }
}

void admin_state::keep_history() { history_.offer(seconds(std::chrono::steady_clock::now()), snapshot()); }

double admin_state::seconds(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

mrb::metrics_snapshot admin_state::snapshot() const
{
    mrb::metrics_snapshot m = srv_.metrics();
    m.process = mrb::read_process_figures();
    return m;
}

mrb::readiness admin_state::ready()
{
    const auto now = std::chrono::steady_clock::now();
    if (!probed_ || now - probed_at_ >= config_.readiness_cache)
    {
        last_ = probe_chain(config_);
        probed_ = true;
        probed_at_ = std::chrono::steady_clock::now();
    }
    return last_;
}

// Starts the admin listener; nullptr when it is off, or when the default port is taken (warned:
// the relay matters more). An address given explicitly that cannot be bound is exit 3.
std::unique_ptr<mrb::admin_server> start_admin(const mrb::bridge_config& c, admin_state& state, mrb::access_log& log,
                                               bool explicit_address, int& exit_code)
{
    if (!c.admin_enabled)
        return nullptr;
    auto admin = std::make_unique<mrb::admin_server>(c.admin_host, c.admin_port,
                                                     [&state](mrb::admin_endpoint e) { return state.answer(e); });
    try
    {
        admin->listen();
    }
    catch (const mrb::listen_error& e)
    {
        if (explicit_address)
        {
            std::fprintf(stderr, "model-runner-bridge: %s\n", e.what());
            exit_code = 3;
        }
        else
            log.write(mrb::log_level::warn, "admin listener not started (use --admin-listen to pick another port)",
                      {{"error", e.what()}});
        return nullptr;
    }
    admin->every(std::chrono::seconds(10), [&state] { state.keep_history(); });
    admin->start();
    return admin;
}


// `status`: one GET /status from the admin listener, shown as a screen or as JSON.
int show_status(const mrb::bridge_config& c, const status_options& o)
{
    if (!c.admin_enabled)
    {
        std::fprintf(stderr, "model-runner-bridge: status reads the admin listener, and --admin-listen is off\n");
        return 2;
    }
    const bool tty = ::isatty(STDOUT_FILENO) != 0;
    for (unsigned n = 1;; ++n)
    {
        std::string error;
        const auto answer = mrb::admin_get(c.admin_host, c.admin_port, "/status", std::chrono::seconds(10), error);
        if (!answer || answer->status != 200)
        {
            std::fprintf(stderr, "model-runner-bridge: status: %s; is the bridge running? (start it: model-runner-bridge serve)\n",
                         answer ? ("unexpected answer " + std::to_string(answer->status) + " from the admin listener").c_str()
                                : error.c_str());
            return 4;
        }
        std::string out;
        try
        {
            const auto j = nlohmann::json::parse(answer->body);
            out = o.json ? j.dump() + "\n" : mrb::render_status(mrb::status_from_json(j));
        }
        catch (const nlohmann::json::exception&)
        {
            std::fprintf(stderr, "model-runner-bridge: status: the admin listener at %s:%u is not this bridge's\n",
                         c.admin_host.c_str(), static_cast<unsigned>(c.admin_port));
            return 4;
        }
        if (o.watch && tty)
            out = "\x1b[H\x1b[J" + out; // redraw in place
        else if (o.watch && n > 1 && !o.json)
            out = "\n" + out;
        std::fputs(out.c_str(), stdout);
        std::fflush(stdout);
        if (!o.watch || (o.iterations != 0 && n >= o.iterations))
            return 0;
        std::this_thread::sleep_for(o.interval);
    }
}

} // namespace mrb
