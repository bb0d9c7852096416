#pragma once
// fake_model_runner: an in-process stand-in for Docker Model Runner (+ llama.cpp behind it).
//
//   fakes::model_runner::runner_options o;          // or options_from_json(json)
//   fakes::model_runner::fake_model_runner dmr(o);
//   dmr.start();                                    // binds 127.0.0.1:<o.port, 0 = ephemeral>
//   ... client on dmr.port() ...
//   ASSERT_TRUE(dmr.wait_for_requests(1, 2s));
//   dmr.set_fault(fault_spec_from_json(R"({"kind":"reset_peer","after_events":2})"_json));
//
// Per request, the header `x-fake-fault: <spec>` adds faults (syntax in fault_spec.hpp and
// docs/fake-model-runner.md). Models, replies, usage placement, timestamps: runner_options.

#include "fault_spec.hpp"
#include "recorder.hpp"
#include "runner_options.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace fakes::model_runner {

class fake_model_runner
{
public:
    explicit fake_model_runner(runner_options options = {});
    ~fake_model_runner();
    fake_model_runner(const fake_model_runner&) = delete;
    fake_model_runner& operator=(const fake_model_runner&) = delete;

    /// Binds and starts serving on its own threads. Throws on bind failure.
    void start();
    std::uint16_t port() const;
    /// Closes the listener and every connection; idempotent. Recordings stay readable.
    void stop();

    std::vector<recorded_request> requests() const;
    std::vector<recorded_disconnect> disconnects() const;
    testing::AssertionResult wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
    /// A client disconnect in the middle of a response (see recorder::wait_for_disconnect).
    testing::AssertionResult wait_for_disconnect(std::chrono::milliseconds timeout) const;
    testing::AssertionResult wait_for_disconnects(std::size_t n, std::chrono::milliseconds timeout) const;
    void clear_recordings();

    /// Replaces the instance-wide faults (applied to every later response).
    void set_fault(fault_spec faults);
    void clear_fault() { set_fault(fault_spec{}); }

    /// Connections accepted so far / currently open.
    std::uint64_t connections_accepted() const;
    std::int64_t connections_open() const;

    const runner_options& options() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace fakes::model_runner
