#pragma once
// recorder: every request the fake received and every client disconnect, thread-safe, with
// waits that return testing::AssertionResult (Envoy FakeUpstream style).

#include <http_kit/http_io.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace fakes::model_runner {

struct recorded_request
{
    std::uint64_t connection = 0;          ///< connection number (1, 2, ... in accept order)
    std::chrono::system_clock::time_point at;
    std::string method;
    std::string target;
    http_kit::header_list headers;         ///< wire order, original spelling
    std::string body;
};

struct recorded_disconnect
{
    std::uint64_t connection = 0;
    std::chrono::system_clock::time_point at;
    bool mid_response = false;  ///< the client went away while a response was being sent/prepared
    std::uint64_t requests = 0; ///< requests seen on that connection
};

class recorder
{
public:
    /// Keeps the last `max_kept` requests (benches send millions; counts stay exact).
    explicit recorder(std::size_t max_kept = 10000)
        : max_kept_(max_kept)
    {
    }

    void add_request(recorded_request r);
    void add_disconnect(recorded_disconnect d);

    /// The last max_kept requests, oldest first.
    std::vector<recorded_request> requests() const;
    std::vector<recorded_disconnect> disconnects() const;
    /// All requests since start or clear(), including those no longer kept.
    std::size_t request_count() const;
    void clear();

    /// At least `n` requests recorded (in total, since start or clear()).
    testing::AssertionResult wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
    /// At least `n` disconnects of any kind (idle keep-alive closes included).
    testing::AssertionResult wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const;
    /// At least one client disconnect in the middle of a response (a cancelled generation).
    testing::AssertionResult wait_for_disconnect(std::chrono::milliseconds timeout) const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::size_t max_kept_;
    std::size_t total_requests_ = 0;
    std::deque<recorded_request> requests_;
    std::vector<recorded_disconnect> disconnects_;
};

} // namespace fakes::model_runner
