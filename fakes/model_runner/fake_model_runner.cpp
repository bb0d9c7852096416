#include "fake_model_runner.hpp"

#include "connection.hpp"
#include "runner_state.hpp"

#include <http_kit/fd_limit.hpp>
#include <http_kit/io_runner.hpp>
#include <http_kit/tcp_listener.hpp>

namespace fakes::model_runner {

struct fake_model_runner::impl
{
    explicit impl(runner_options o)
        : state(std::move(o))
    {
    }
    // Destruction order matters: listener, then runner (destroys coroutine frames), then state.
    runner_state state;
    std::unique_ptr<http_kit::io_runner> runner;
    std::unique_ptr<http_kit::tcp_listener> listener;
    std::uint16_t port = 0;
};

fake_model_runner::fake_model_runner(runner_options options)
    : impl_(std::make_unique<impl>(std::move(options)))
{
}

fake_model_runner::~fake_model_runner()
{
    stop();
}

void
fake_model_runner::start()
{
    if(impl_->runner)
        return;
    // 10,000 concurrent streams need more descriptors than the usual soft limit of 1024.
    http_kit::raise_open_file_limit();
    auto& st = impl_->state;
    impl_->runner = std::make_unique<http_kit::io_runner>(st.options.threads);
    impl_->listener = std::make_unique<http_kit::tcp_listener>(
        impl_->runner->context(),
        http_kit::tcp_listener::coroutine{[&st](http_kit::tcp::socket s) { return serve_connection(std::move(s), st); }});
    impl_->listener->listen(st.options.host, st.options.port);
    impl_->port = impl_->listener->port();
    impl_->runner->start();
}

std::uint16_t
fake_model_runner::port() const
{
    return impl_->port;
}

void
fake_model_runner::stop()
{
    if(!impl_->runner)
        return;
    impl_->runner->stop();
    impl_->listener.reset();
    impl_->runner.reset();
}

std::vector<recorded_request>
fake_model_runner::requests() const
{
    return impl_->state.record.requests();
}

std::vector<recorded_disconnect>
fake_model_runner::disconnects() const
{
    return impl_->state.record.disconnects();
}

testing::AssertionResult
fake_model_runner::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const
{
    return impl_->state.record.wait_for_requests(n, timeout);
}

testing::AssertionResult
fake_model_runner::wait_for_disconnect(std::chrono::milliseconds timeout) const
{
    return impl_->state.record.wait_for_disconnect(timeout);
}

testing::AssertionResult
fake_model_runner::wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const
{
    return impl_->state.record.wait_for_disconnects(n, timeout);
}

void
fake_model_runner::clear_recordings()
{
    impl_->state.record.clear();
}

void
fake_model_runner::set_fault(fault_spec faults)
{
    impl_->state.set_fault(std::move(faults));
}

std::uint64_t
fake_model_runner::connections_accepted() const
{
    return impl_->state.connections.load();
}

std::int64_t
fake_model_runner::connections_open() const
{
    return impl_->state.open_connections.load();
}

const runner_options&
fake_model_runner::options() const
{
    return impl_->state.options;
}

} // namespace fakes::model_runner
