#pragma once
// wait_until: the one wait helper of the fakes. Polls `done` (every ~1 ms) until it is true or
// `timeout` passes; on timeout the failure message names `what`, so a test reads
//   ASSERT_TRUE(wait_until([&]{ return n == 3; }, 2s, "three requests"));

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string_view>

namespace fakes::http_kit {

testing::AssertionResult wait_until(const std::function<bool()>& done,
                                    std::chrono::milliseconds timeout,
                                    std::string_view what);

} // namespace fakes::http_kit
