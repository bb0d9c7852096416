#include "server.hpp"

#include "relay_context.hpp"
#include "relay_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

namespace mrb {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

struct server::impl
{
    impl(const bridge_config& c, access_log& l, capture* cap)
        : config(c), log(l), ctx(c, l, cap)
    {
        const unsigned n = std::max(1u, c.threads);
        for (unsigned i = 0; i < n; ++i)
            workers.push_back(std::make_unique<worker>(c));
        acceptor.emplace(workers[0]->ioc);
        signals.emplace(workers[0]->ioc);
        drain_timer.emplace(workers[0]->ioc);
        ctx.on_session_end = [this] {
            if (ctx.active_connections.fetch_sub(1) == 1 && ctx.draining.load() && !stopped.load())
                net::post(workers[0]->ioc, [this] { hard_stop(); });
        };
    }

    void accept_next()
    {
        worker& w = *workers[next_worker];
        next_worker = (next_worker + 1) % workers.size();
        acceptor->async_accept(w.ioc, [this, &w](error_code ec, tcp::socket s) {
            if (ec)
            {
                if (ec == net::error::operation_aborted || !acceptor->is_open())
                    return;
                log.write(log_level::warn, "accept failed", {{"error", ec.message()}});
                accept_next();
                return;
            }
            const std::size_t active = ctx.active_connections.fetch_add(1) + 1;
            const bool over_limit = active > config.max_connections;
            // The session lives on its worker's thread; hand it over there.
            net::post(w.ioc, [this, &w, s = std::move(s), over_limit]() mutable {
                std::make_shared<relay_session>(std::move(s), ctx, w, over_limit)->start();
            });
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
        for (auto& w : workers)
            w->ioc.stop();
    }

    const bridge_config& config;
    access_log& log;
    relay_context ctx;
    std::vector<std::unique_ptr<worker>> workers;
    std::optional<tcp::acceptor> acceptor;
    std::optional<net::signal_set> signals;
    std::optional<net::steady_timer> drain_timer;
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
    impl_->signals.reset();
    impl_->acceptor.reset();
    for (auto it = impl_->workers.rbegin(); it != impl_->workers.rend(); ++it)
        it->reset();
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

void server::stop()
{
    net::post(impl_->workers[0]->ioc, [this] { impl_->begin_stop(); });
}

} // namespace mrb
