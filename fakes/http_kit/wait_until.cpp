#include "wait_until.hpp"

#include <thread>

namespace fakes::http_kit {

testing::AssertionResult
wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout, std::string_view what)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for(;;)
    {
        if(done())
            return testing::AssertionSuccess();
        if(std::chrono::steady_clock::now() >= deadline)
            return testing::AssertionFailure() << "timed out after " << timeout.count() << " ms waiting for " << what;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

} // namespace fakes::http_kit
