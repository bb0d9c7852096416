#pragma once

#include "fake_openclaw.hpp"
#include "request_builder.hpp"

#include <functional>
#include <vector>

namespace fakes::openclaw {

/// The I/O half of the client: sends built requests over HTTP/1.1 keep-alive connections
/// (Beast, one io_context, one coroutine per connection) and turns what comes back into
/// turn_results. Beast stays inside turn_runner.cpp.
class turn_runner
{
public:
    /// Runs `repeat` turns over `concurrency` connections; `make_request` is called once per
    /// attempt (each gets a fresh traceparent). Results come back in completion order.
    static std::vector<turn_result> run(std::function<built_request()> const& make_request,
        client_options const& options, int repeat, int concurrency);
};

}  // namespace fakes::openclaw
