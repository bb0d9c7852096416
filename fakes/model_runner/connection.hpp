#pragma once
// connection: the thin I/O session of the fake. Reads requests (keep-alive), records them,
// asks the request_handler for a plan and writes it through a fault_writer, applying the
// instance faults merged with the request's x-fake-fault header.

#include "runner_state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace fakes::model_runner {

boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket, runner_state& state);

} // namespace fakes::model_runner
