#include "server.hpp"

#include "relay_context.hpp"
#include "relay_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace mrb {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// A condition that can repeat thousands of times a second is logged at most once a second;
// each line says how many occurrences were left out since the previous one.
class log_throttle
{
public:
    using clock = std::chrono::steady_clock;
    /// True (and the line counts as written) when none was written in the last second.
    bool may_write(clock::time_point now) noexcept
    {
        if (written_ && now - last_ < std::chrono::seconds(1))
            return false;
        written_ = true;
        last_ = now;
        return true;
    }
    void suppress() noexcept { ++suppressed_; }
    std::size_t take_suppressed() noexcept { return std::exchange(suppressed_, 0); }

private:
    clock::time_point last_{};
    bool written_ = false;
    std::size_t suppressed_ = 0;
};

} // namespace

struct server::impl
{
    impl(const bridge_config& c, access_log& l, capture* cap)
        : config(c), log(l), ctx(c, l, cap)
    {
        const unsigned n = std::max(1u, c.threads);
        for (unsigned i = 0; i < n; ++i)
            workers.push_back(std::make_unique<worker>(c, labels));
        acceptor.emplace(workers[0]->ioc);
        signals.emplace(workers[0]->ioc);
        drain_timer.emplace(workers[0]->ioc);
        accept_retry.emplace(workers[0]->ioc);
        ctx.on_session_end = [this] {
            if (ctx.active_connections.fetch_sub(1) == 1 && ctx.draining.load() && !stopped.load())
                net::post(workers[0]->ioc, [this] { hard_stop(); });
        };
    }

    void accept_next()
    {
        const std::size_t home = next_worker;
        worker& w = *workers[home];
        next_worker = (next_worker + 1) % workers.size();
        acceptor->async_accept(w.ioc, [this, home](error_code ec, tcp::socket s) {
            if (ec)
            {
                if (ec == net::error::operation_aborted || !acceptor->is_open())
                    return;
                on_accept_error(ec);
                return;
            }
            if (accept_failing && accept_log.may_write(std::chrono::steady_clock::now()))
            {
                accept_failing = false;
                log.write(log_level::info, "accepting again", {{"suppressed", accept_log.take_suppressed()}});
            }
            const std::size_t active = ctx.active_connections.fetch_add(1) + 1;
            const bool over_limit = active > config.max_connections;
            // The session lives on its worker's thread; hand it over there.
            net::post(workers[home]->ioc, [this, home, s = std::move(s), over_limit]() mutable {
                if (over_limit)
                    make_room(home, home, 0, std::move(s));
                else
                    start_session(home, std::move(s), false);
            });
            accept_next();
        });
    }

    // On worker `home`'s thread.
    void start_session(std::size_t home, tcp::socket s, bool over_limit)
    {
        std::make_shared<relay_session>(std::move(s), ctx, *workers[home], over_limit)->start();
    }

    // Over --max-connections. Slow or idle connections must not hold every slot (600 trickled
    // heads locked everyone out): like nginx, the new connection takes the place of one that
    // only waits for a request head (the one nearest its own deadline, so among fresh heads the
    // oldest). Each worker searches its own sessions on its own thread (no shared locks); when
    // worker `at` has none, the next is asked. Only when none has one is the new one refused.
    void make_room(std::size_t home, std::size_t at, std::size_t asked, tcp::socket s)
    {
        const bool evicted = evict_one(*workers[at]);
        if (!evicted && asked + 1 < workers.size())
        {
            const std::size_t next = (at + 1) % workers.size();
            net::post(workers[next]->ioc, [this, home, next, asked, s = std::move(s)]() mutable {
                make_room(home, next, asked + 1, std::move(s));
            });
            return;
        }
        note_over_limit(evicted);
        if (at == home)
            start_session(home, std::move(s), !evicted);
        else
            net::post(workers[home]->ioc, [this, home, evicted, s = std::move(s)]() mutable {
                start_session(home, std::move(s), !evicted);
            });
    }

    // On w's thread. The evicted session's end gives its slot back (active_connections).
    static bool evict_one(worker& w)
    {
        relay_session* victim = nullptr;
        for (auto* s : w.sessions)
            if (s->awaiting_request() && (!victim || s->deadline() < victim->deadline()))
                victim = s;
        if (victim)
            victim->evict();
        return victim != nullptr;
    }

    void note_over_limit(bool evicted)
    {
        std::lock_guard lock(over_limit_mutex); // any worker; only when over the limit
        (evicted ? over_limit_evicted : over_limit_refused)++;
        if (!over_limit_log.may_write(std::chrono::steady_clock::now()))
            return;
        log.write(log_level::warn, "connection limit reached",
                  {{"max_connections", config.max_connections},
                   {"evicted_waiting_for_head", std::exchange(over_limit_evicted, 0)},
                   {"refused", std::exchange(over_limit_refused, 0)}});
    }

    // An error that belongs to one connection in the backlog: the next accept may well succeed.
    static bool is_per_connection(const error_code& ec)
    {
        if (ec.category() != boost::system::system_category())
            return false;
        switch (ec.value())
        {
        case ECONNABORTED: case EPROTO: case EPERM: case EINTR: case ENETDOWN: case ENOPROTOOPT:
        case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
            return true;
        default:
            return false;
        }
    }

    // Out of descriptors (EMFILE/ENFILE) or memory (ENOBUFS/ENOMEM): the connection stays in the
    // backlog and the acceptor stays readable, so retrying at once spins a core and floods the
    // log. Wait a moment, as Asio's examples and nginx do, and log at most once a second.
    void on_accept_error(const error_code& ec)
    {
        accept_failing = true;
        if (accept_log.may_write(std::chrono::steady_clock::now()))
            log.write(log_level::warn, "accept failed",
                      {{"error", ec.message()}, {"suppressed", accept_log.take_suppressed()},
                       {"retry_in_ms", is_per_connection(ec) ? 0 : accept_backoff.count()}});
        else
            accept_log.suppress();
        if (is_per_connection(ec))
        {
            accept_next();
            return;
        }
        accept_retry->expires_after(accept_backoff);
        accept_retry->async_wait([this](error_code e) {
            if (!e && acceptor->is_open())
                accept_next();
        });
    }

    void wait_signal()
    {
        signals->async_wait([this](error_code ec, int) {
            if (ec)
                return;
            begin_stop();
            wait_signal();
        });
    }

    // Runs on worker 0.
    void begin_stop()
    {
        if (ctx.draining.exchange(true))
        {
            log.write(log_level::info, "second stop request: stopping now");
            hard_stop();
            return;
        }
        log.write(log_level::info, "stopping: draining in-flight requests",
                  {{"active", ctx.active_connections.load()}, {"drain_timeout_ms", config.drain_timeout.count()}});
        error_code ignored;
        acceptor->close(ignored);
        for (auto& w : workers)
            net::post(w->ioc, [&w = *w] {
                // Copy: a session may unregister itself while we iterate.
                std::vector<relay_session*> sessions(w.sessions.begin(), w.sessions.end());
                for (auto* s : sessions)
                    if (w.sessions.count(s))
                        s->on_drain();
            });
        if (ctx.active_connections.load() == 0)
        {
            hard_stop();
            return;
        }
        drain_timer->expires_after(config.drain_timeout);
        drain_timer->async_wait([this](error_code ec) {
            if (!ec)
            {
                log.write(log_level::warn, "drain timeout: closing remaining connections",
                          {{"active", ctx.active_connections.load()}});
                hard_stop();
            }
        });
    }

    void hard_stop()
    {
        if (stopped.exchange(true))
            return;
        error_code ignored;
        acceptor->close(ignored);
        signals->cancel(ignored);
        drain_timer->cancel();
        accept_retry->cancel();
        for (auto& w : workers)
            w->ioc.stop();
    }

    const bridge_config& config;
    access_log& log;
    relay_context ctx;
    /// Model-name label slots, shared by the workers' metric shards (locked on a new name only).
    std::shared_ptr<model_labels> labels = std::make_shared<model_labels>();
    std::vector<std::unique_ptr<worker>> workers;
    std::optional<tcp::acceptor> acceptor;
    std::optional<net::signal_set> signals;
    std::optional<net::steady_timer> drain_timer;
    std::optional<net::steady_timer> accept_retry;
    static constexpr std::chrono::milliseconds accept_backoff{100};
    log_throttle accept_log; // worker 0 only, like the acceptor
    std::mutex over_limit_mutex;
    log_throttle over_limit_log;
    std::size_t over_limit_evicted = 0;
    std::size_t over_limit_refused = 0;
    bool accept_failing = false;
    std::size_t next_worker = 0;
    std::atomic<bool> stopped{false};
    std::uint16_t bound_port = 0;
    bool handle_signals = false;
};

server::server(const bridge_config& config, access_log& log, capture* capture_sink)
    : impl_(std::make_unique<impl>(config, log, capture_sink))
{
}

server::~server()
{
    // Sessions (and their coroutine frames) go with their io_context; pooled sockets first.
    for (auto& w : impl_->workers)
        w->pool.clear();
    impl_->drain_timer.reset();
    impl_->accept_retry.reset();
    impl_->signals.reset();
    impl_->acceptor.reset();
    // Worker 0 goes first: its queue still holds the cancelled accept, whose socket belongs to
    // the worker it was meant for (async_accept(w.ioc)); destroying that worker first freed the
    // socket's service under the pending accept (ASan: heap-use-after-free in the in-process
    // server test). Sessions that end during the destruction must then not post to worker 0.
    impl_->stopped = true;
    for (auto& w : impl_->workers)
        w.reset();
}

void server::listen(bool handle_signals)
{
    auto& a = *impl_->acceptor;
    const auto& c = impl_->config;
    error_code ec;
    auto address = net::ip::make_address(c.listen_host == "localhost" ? "127.0.0.1" : c.listen_host, ec);
    if (ec)
        throw listen_error("cannot listen on " + bridge_config::bracket(c.listen_host) + ":" +
                           std::to_string(c.listen_port) + ": not an IP address");
    const tcp::endpoint ep(address, c.listen_port);
    a.open(ep.protocol(), ec);
    if (!ec)
        a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
        a.bind(ep, ec);
    if (!ec)
        a.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw listen_error("cannot listen on " + bridge_config::bracket(c.listen_host) + ":" +
                           std::to_string(c.listen_port) + ": " + ec.message());
    impl_->bound_port = a.local_endpoint().port();
    // The last failure per hop, for doctor and start-openclaw (named by the port actually bound).
    impl_->log.open_failure_journal(impl_->bound_port);
    // Installed before the ready line is printed: a signal sent right after it is not lost.
    if (handle_signals)
    {
        impl_->signals->add(SIGINT);
        impl_->signals->add(SIGTERM);
        impl_->handle_signals = true;
    }
}

std::uint16_t server::port() const noexcept
{
    return impl_->bound_port;
}

void server::run()
{
    auto& i = *impl_;
    if (i.handle_signals)
        i.wait_signal();
    i.accept_next();
    std::vector<std::thread> threads;
    for (std::size_t n = 1; n < i.workers.size(); ++n)
        threads.emplace_back([&w = *i.workers[n]] {
            auto guard = net::make_work_guard(w.ioc);
            w.ioc.run();
        });
    {
        auto guard = net::make_work_guard(i.workers[0]->ioc);
        i.workers[0]->ioc.run();
    }
    for (auto& t : threads)
        t.join();
}

metrics_snapshot server::metrics() const
{
    std::vector<const metrics_shard*> shards;
    for (const auto& w : impl_->workers)
        shards.push_back(&w->metrics);
    metrics_snapshot m = fold(shards, *impl_->labels);
    m.live.client_connections = impl_->ctx.active_connections.load(std::memory_order_relaxed);
    return m;
}

void server::stop()
{
    net::post(impl_->workers[0]->ioc, [this] { impl_->begin_stop(); });
}

} // namespace mrb
