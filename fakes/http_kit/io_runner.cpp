#include "io_runner.hpp"

#include <boost/asio/executor_work_guard.hpp>

namespace fakes::http_kit {

io_runner::io_runner(unsigned threads)
    : thread_count_(threads == 0 ? 1 : threads)
    , ioc_(std::make_unique<boost::asio::io_context>(static_cast<int>(thread_count_)))
{
}

io_runner::~io_runner()
{
    stop();
}

void
io_runner::start()
{
    if(started_)
        return;
    started_ = true;
    for(unsigned i = 0; i < thread_count_; ++i)
        threads_.emplace_back([this] {
            // The guard lives in each thread's frame: run() returns only on stop().
            auto guard = boost::asio::make_work_guard(*ioc_);
            ioc_->run();
        });
}

void
io_runner::stop()
{
    ioc_->stop();
    for(auto& t : threads_)
        if(t.joinable())
            t.join();
    threads_.clear();
}

} // namespace fakes::http_kit
