#include "recorder.hpp"

#include <algorithm>

namespace fakes::model_runner {

void
recorder::add_request(recorded_request r)
{
    {
        std::lock_guard lock(mutex_);
        ++total_requests_;
        if(max_kept_ > 0)
        {
            if(requests_.size() >= max_kept_)
                requests_.pop_front();
            requests_.push_back(std::move(r));
        }
    }
    changed_.notify_all();
}

void
recorder::add_disconnect(recorded_disconnect d)
{
    {
        std::lock_guard lock(mutex_);
        disconnects_.push_back(d);
    }
    changed_.notify_all();
}

std::vector<recorded_request>
recorder::requests() const
{
    std::lock_guard lock(mutex_);
    return {requests_.begin(), requests_.end()};
}

std::vector<recorded_disconnect>
recorder::disconnects() const
{
    std::lock_guard lock(mutex_);
    return disconnects_;
}

std::size_t
recorder::request_count() const
{
    std::lock_guard lock(mutex_);
    return total_requests_;
}

void
recorder::clear()
{
    std::lock_guard lock(mutex_);
    requests_.clear();
    disconnects_.clear();
    total_requests_ = 0;
}

testing::AssertionResult
recorder::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    if(changed_.wait_for(lock, timeout, [&] { return total_requests_ >= n; }))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "fake-model-runner: waited " << timeout.count() << " ms for " << n
                                       << " request(s), got " << total_requests_;
}

testing::AssertionResult
recorder::wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    if(changed_.wait_for(lock, timeout, [&] { return disconnects_.size() >= n; }))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "fake-model-runner: waited " << timeout.count() << " ms for " << n
                                       << " disconnect(s), got " << disconnects_.size();
}

testing::AssertionResult
recorder::wait_for_disconnect(std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(mutex_);
    auto mid = [&] {
        return std::any_of(disconnects_.begin(), disconnects_.end(), [](const auto& d) { return d.mid_response; });
    };
    if(changed_.wait_for(lock, timeout, mid))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "fake-model-runner: no client disconnect in the middle of a response within "
                                       << timeout.count() << " ms (" << disconnects_.size() << " other disconnect(s))";
}

} // namespace fakes::model_runner
