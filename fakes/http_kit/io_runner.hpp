#pragma once
// fakes::http_kit -- the fakes' own small HTTP scaffolding (never shares code with bridge/).
//
//   io_runner      a threaded io_context: start() spawns N threads, stop() joins them.
//   tcp_listener   binds host:port (0 = ephemeral), hands each accepted socket (on its own
//                  strand, TCP_NODELAY set) to a callback or a coroutine.
//   http_io        read one request with Beast into a plain struct; build raw response bytes
//                  (status line, headers, chunk framing) so fakes control every byte.
//   fault_writer   Toxiproxy-style writer: latency, bandwidth, slicer, limit_data,
//                  reset_peer (RST), stall (timeout), slow_close, peer-close aware pauses.
//   wait_until     poll a predicate until a deadline -> testing::AssertionResult.
//   fd_limit       raise RLIMIT_NOFILE to the hard limit (10k concurrent streams).

#include <boost/asio/io_context.hpp>

#include <memory>
#include <thread>
#include <vector>

namespace fakes::http_kit {

/// Runs one io_context on `threads` threads until stop().
class io_runner
{
public:
    explicit io_runner(unsigned threads = 1);
    ~io_runner();
    io_runner(const io_runner&) = delete;
    io_runner& operator=(const io_runner&) = delete;

    boost::asio::io_context& context() { return *ioc_; }

    /// Spawns the threads; work guard keeps them alive while idle.
    void start();

    /// Stops the context and joins the threads. Idempotent. Pending handlers (and coroutine
    /// frames owning sockets) are destroyed only when the io_runner is destroyed, so objects
    /// they reference must outlive it.
    void stop();

private:
    unsigned thread_count_;
    std::unique_ptr<boost::asio::io_context> ioc_;
    std::vector<std::thread> threads_;
    bool started_ = false;
};

} // namespace fakes::http_kit
