#pragma once
// While a session waits on the next hop, a client EOF/reset must cancel the upstream at once; an
// async_wait on the client notices it. But arming a wait costs an epoll_ctl and cancelling it a
// wake-up, which doubled the system calls of a short request. So a session only asks for a
// watch, and this per-worker sweeper starts it once the wait has lasted `delay`: an abandoned
// generation is still stopped within a few tens of milliseconds, a quick answer never pays.
// One timer per worker, re-armed only while requests are pending. Single-threaded (the worker's).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>

namespace mrb {

class client_watch_sweeper
{
public:
    using clock = std::chrono::steady_clock;

    /// Whoever waits: told when its watch is due. It must cancel() before it goes away.
    class target
    {
    public:
        virtual void on_watch_due() = 0;

    protected:
        ~target() = default;
    };

    client_watch_sweeper(boost::asio::io_context& ioc, std::chrono::milliseconds delay);

    /// `t` wants a watch from `delay` after now (once per wait: the caller keeps track).
    void request(target& t);
    /// `t` no longer wants one (its wait ended, or it goes away); no-op if it did not ask.
    void cancel(target& t) noexcept;
    std::size_t pending() const noexcept { return pending_.size(); }

private:
    struct entry
    {
        target* who;
        clock::time_point since;
    };
    void arm();
    void sweep();

    std::chrono::milliseconds delay_;
    std::deque<entry> pending_; ///< oldest first: the delay is the same for all
    boost::asio::steady_timer timer_;
    bool armed_ = false;
};

} // namespace mrb
