#pragma once
// What every relay session shares: the resolved configuration, the header policy, the log, and
// the per-worker state (io_context, upstream pool, registry of live sessions for draining).

#include "access_log.hpp"
#include "client_watch_sweeper.hpp"
#include "core/bridge_config.hpp"
#include "core/metrics.hpp"
#include "core/header_policy.hpp"
#include "upstream_pool.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <functional>
#include <unordered_set>

namespace mrb {

class relay_session;
class capture;

/// Shared by all workers; read-only after start-up except the atomics.
struct relay_context
{
    relay_context(const bridge_config& c, access_log& l, capture* cap)
        : config(c), policy(c), log(l), capture_sink(cap)
    {
    }
    const bridge_config& config;
    const header_policy policy;
    access_log& log;
    capture* capture_sink;
    std::atomic<bool> draining{false};
    std::atomic<std::size_t> active_connections{0};
    /// Called (on the session's worker thread) when a session ends.
    std::function<void()> on_session_end;
};

/// One thread's share: sessions on a worker never touch another worker's sockets.
struct worker
{
    worker(const bridge_config& c, std::shared_ptr<model_labels> labels)
        : ioc(1), pool(c.upstream_idle, bridge_config::pool_size), watch_sweeper(ioc, bridge_config::client_watch_delay),
          slow_head_sweeper(ioc, bridge_config::slow_head_notice - bridge_config::client_watch_delay),
          metrics(std::move(labels))
    {
    }
    // Declaration order matters for destruction: the pool's sockets go before the io_context,
    // and the registry outlives both (sessions unregister while the io_context is destroyed).
    std::unordered_set<relay_session*> sessions;
    boost::asio::io_context ioc;
    upstream_pool pool;
    /// Starts client watches for waits on upstream that outlast a few milliseconds.
    client_watch_sweeper watch_sweeper;
    /// Warns about response heads that keep the client waiting (asked for only by waits that
    /// already outlasted the client-watch delay, so a quick answer never touches it).
    client_watch_sweeper slow_head_sweeper;
    /// This thread's counters (core/metrics.hpp); only this thread writes them.
    metrics_shard metrics;
};

} // namespace mrb
