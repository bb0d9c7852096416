#include "client_watch_sweeper.hpp"

#include <algorithm>

namespace mrb {

client_watch_sweeper::client_watch_sweeper(boost::asio::io_context& ioc, std::chrono::milliseconds delay)
    : delay_(delay), timer_(ioc)
{
}

void client_watch_sweeper::request(target& t)
{
    pending_.push_back({&t, clock::now()});
    arm();
}

void client_watch_sweeper::cancel(target& t) noexcept
{
    // Pending requests are the waits younger than `delay`: a short list.
    std::erase_if(pending_, [&](const entry& e) { return e.who == &t; });
}

// One sweep per `delay` while anything is pending, as the seed's per-worker sweep did: waits that
// start close together share a wake-up.
void client_watch_sweeper::arm()
{
    if (armed_)
        return;
    armed_ = true;
    timer_.expires_after(delay_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec)
            return; // the worker is going away
        armed_ = false;
        sweep();
    });
}

void client_watch_sweeper::sweep()
{
    const auto now = clock::now();
    while (!pending_.empty() && now - pending_.front().since >= delay_)
    {
        target* due = pending_.front().who;
        pending_.pop_front();
        due->on_watch_due();
    }
    if (!pending_.empty())
        arm();
}

} // namespace mrb
