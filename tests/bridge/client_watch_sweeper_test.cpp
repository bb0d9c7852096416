// The per-worker client-watch sweeper: a watch is due only after the delay, a cancelled request
// never fires, one sweep serves every request that is due. An io_context and a timer, no sockets.
#include "net/client_watch_sweeper.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct probe : mrb::client_watch_sweeper::target
{
    explicit probe(std::vector<probe*>& log) : log_(log) {}
    void on_watch_due() override
    {
        due_at = clock_type::now();
        log_.push_back(this);
    }
    clock_type::time_point due_at{};
    std::vector<probe*>& log_;
};

TEST(client_watch_sweeper, a_watch_is_due_after_the_delay_and_a_cancelled_one_never)
{
    boost::asio::io_context ioc;
    mrb::client_watch_sweeper sweeper(ioc, 20ms);
    std::vector<probe*> fired;
    probe a(fired), b(fired), c(fired);
    const auto start = clock_type::now();
    sweeper.request(a);
    sweeper.request(b);
    sweeper.request(c);
    EXPECT_EQ(sweeper.pending(), 3u);
    sweeper.cancel(b);
    EXPECT_EQ(sweeper.pending(), 2u);
    ioc.run_for(5s); // returns once the timer has nothing left to wait for
    EXPECT_EQ(fired, (std::vector<probe*>{&a, &c}));
    EXPECT_EQ(sweeper.pending(), 0u);
    EXPECT_GE(a.due_at - start, 20ms);
    EXPECT_GE(c.due_at - start, 20ms);
}

TEST(client_watch_sweeper, a_later_request_waits_for_a_later_sweep)
{
    boost::asio::io_context ioc;
    mrb::client_watch_sweeper sweeper(ioc, 20ms);
    std::vector<probe*> fired;
    probe early(fired), late(fired);
    sweeper.request(early);
    boost::asio::steady_timer later(ioc, 10ms);
    clock_type::time_point asked{};
    later.async_wait([&](auto) {
        asked = clock_type::now();
        sweeper.request(late);
    });
    ioc.run_for(5s);
    ASSERT_EQ(fired, (std::vector<probe*>{&early, &late}));
    EXPECT_GE(late.due_at - asked, 20ms) << "a request is never started before its own delay";
}

TEST(client_watch_sweeper, cancelling_what_was_never_asked_is_harmless)
{
    boost::asio::io_context ioc;
    mrb::client_watch_sweeper sweeper(ioc, 1ms);
    std::vector<probe*> fired;
    probe a(fired);
    sweeper.cancel(a);
    EXPECT_EQ(sweeper.pending(), 0u);
    ioc.run_for(100ms);
    EXPECT_TRUE(fired.empty());
}

} // namespace
