#include "fake_sandbox_proxy.hpp"

#include "proxy_session.hpp"
#include "proxy_state.hpp"

#include "http_kit/io_runner.hpp"
#include "http_kit/tcp_listener.hpp"
#include "http_kit/wait_until.hpp"

#include <iostream>
#include <mutex>

namespace fakes::sandbox_proxy {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct fake_sandbox_proxy::impl
{
    explicit impl(const proxy_options& o)
        : state(o)
    {
    }

    void
    open_listener()
    {
        auto l = std::make_unique<http_kit::tcp_listener>(runner->context(),
            http_kit::tcp_listener::coroutine{[this](tcp::socket s) -> net::awaitable<void> {
                if(state.faults().refuse == refuse_mode::close_on_accept)
                {
                    auto id = state.open_connection();
                    boost::system::error_code ignored;
                    s.close(ignored);
                    state.close_connection(id, "fault:refuse");
                    co_return;
                }
                proxy_session session(state, std::move(s));
                co_await session.run();
            }});
        l->listen("127.0.0.1", port);
        port = l->port();
        listening = true;
        listeners.push_back(std::move(l));
    }

    // Destroyed in reverse order: listeners first, then the runner (which destroys the
    // sessions' coroutine frames), then the state they referenced.
    proxy_state state;
    std::mutex mutex;
    std::uint16_t port = 0;
    bool started = false;
    bool stopped = false;
    bool listening = false;
    std::unique_ptr<http_kit::io_runner> runner;
    std::vector<std::unique_ptr<http_kit::tcp_listener>> listeners;
};

fake_sandbox_proxy::fake_sandbox_proxy(proxy_options options)
    : impl_(std::make_unique<impl>(options))
{
    impl_->port = options.port;
}

fake_sandbox_proxy::~fake_sandbox_proxy()
{
    stop();
}

void
fake_sandbox_proxy::start()
{
    std::lock_guard lock(impl_->mutex);
    if(impl_->started)
        return;
    impl_->runner = std::make_unique<http_kit::io_runner>(2);
    if(impl_->state.faults().refuse != refuse_mode::stop_listening)
        impl_->open_listener();
    else
    {
        // Reserve the port number so start() still reports one; nobody accepts on it.
        impl_->open_listener();
        impl_->listeners.back()->close();
        impl_->listening = false;
    }
    impl_->runner->start();
    impl_->started = true;
}

std::uint16_t
fake_sandbox_proxy::port() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->port;
}

void
fake_sandbox_proxy::stop()
{
    std::lock_guard lock(impl_->mutex);
    if(!impl_->started || impl_->stopped)
        return;
    impl_->stopped = true;
    for(auto& l : impl_->listeners)
        l->close();
    impl_->runner->stop();
    impl_->listeners.clear();
    impl_->runner.reset();
    for(auto const& c : impl_->state.connections())
        if(c.open)
            impl_->state.close_connection(c.id, "stop");
}

std::string
fake_sandbox_proxy::ca_cert_pem() const
{
    return impl_->state.ca() ? impl_->state.ca()->cert_pem() : std::string();
}

std::vector<network_log_entry>
fake_sandbox_proxy::network_log() const
{
    return impl_->state.log_entries();
}

std::vector<recorded_request>
fake_sandbox_proxy::requests() const
{
    return impl_->state.requests();
}

std::vector<connection_record>
fake_sandbox_proxy::connections() const
{
    return impl_->state.connections();
}

void
fake_sandbox_proxy::clear_records()
{
    impl_->state.clear_records();
}

testing::AssertionResult
fake_sandbox_proxy::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const
{
    return http_kit::wait_until([&] { return impl_->state.requests().size() >= n; }, timeout,
        std::to_string(n) + " request(s) at the sandbox proxy");
}

testing::AssertionResult
fake_sandbox_proxy::wait_for_completed_requests(std::size_t n, std::chrono::milliseconds timeout) const
{
    return http_kit::wait_until(
        [&] {
            std::size_t done = 0;
            for(auto const& r : impl_->state.requests())
                done += r.complete ? 1 : 0;
            return done >= n;
        },
        timeout, std::to_string(n) + " completed request(s) at the sandbox proxy");
}

testing::AssertionResult
fake_sandbox_proxy::wait_for_log_entries(std::size_t n, std::chrono::milliseconds timeout) const
{
    return http_kit::wait_until([&] { return impl_->state.log_entries().size() >= n; }, timeout,
        std::to_string(n) + " network log entr(ies)");
}

testing::AssertionResult
fake_sandbox_proxy::wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const
{
    return http_kit::wait_until([&] { return impl_->state.connections().size() >= n; }, timeout,
        std::to_string(n) + " connection(s) to the sandbox proxy");
}

testing::AssertionResult
fake_sandbox_proxy::wait_for_closed_connections(std::size_t n, std::chrono::milliseconds timeout) const
{
    return http_kit::wait_until(
        [&] {
            std::size_t closed = 0;
            for(auto const& c : impl_->state.connections())
                closed += c.open ? 0 : 1;
            return closed >= n;
        },
        timeout, std::to_string(n) + " closed connection(s) at the sandbox proxy");
}

void
fake_sandbox_proxy::set_policy(const policy_rules& rules)
{
    impl_->state.set_policy(rules);
}

void
fake_sandbox_proxy::set_faults(const proxy_faults& faults)
{
    std::lock_guard lock(impl_->mutex);
    impl_->state.set_faults(faults);
    if(!impl_->started || impl_->stopped)
        return;
    if(faults.refuse == refuse_mode::stop_listening && impl_->listening)
    {
        // Return only once connects are refused, so the caller's next request sees it.
        impl_->listeners.back()->close().wait_for(std::chrono::seconds(2));
        impl_->listening = false;
    }
    else if(faults.refuse != refuse_mode::stop_listening && !impl_->listening)
    {
        // Listen again on the same port (the closed listener object stays until stop()).
        impl_->open_listener();
    }
}

proxy_faults
fake_sandbox_proxy::faults() const
{
    return impl_->state.faults();
}

} // namespace fakes::sandbox_proxy
