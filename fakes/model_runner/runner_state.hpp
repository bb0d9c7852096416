#pragma once
// runner_state: what every connection of one fake_model_runner shares.

#include "recorder.hpp"
#include "request_handler.hpp"
#include "runner_options.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace fakes::model_runner {

struct runner_state
{
    explicit runner_state(runner_options o)
        : options(std::move(o))
        , handler(options)
        , record(options.max_recorded)
        , fault(std::make_shared<const fault_spec>(options.faults))
    {
    }

    std::shared_ptr<const fault_spec> current_fault() const
    {
        std::lock_guard lock(fault_mutex);
        return fault;
    }

    void set_fault(fault_spec f)
    {
        auto p = std::make_shared<const fault_spec>(std::move(f));
        std::lock_guard lock(fault_mutex);
        fault = std::move(p);
    }

    runner_options options;
    request_handler handler;
    recorder record;
    mutable std::mutex fault_mutex;
    std::shared_ptr<const fault_spec> fault;
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::int64_t> open_connections{0};
};

} // namespace fakes::model_runner
