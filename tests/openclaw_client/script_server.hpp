#pragma once

// A loopback HTTP server for the client's tests, written with plain Asio and blocking socket
// calls so it shares no HTTP code with the client under test. Each accepted connection gets a
// thread that reads requests (head + Content-Length body) and hands each to the test's script,
// which writes whatever bytes, stalls, closes or resets.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace oc_test {

struct recorded_request
{
    int connection = 0;  // 0-based index of the connection it came on
    std::string head;    // request line and header lines, CRLFs included
    std::string body;
};

/// The server side of one connection, as the script sees it.
class script_connection
{
public:
    explicit script_connection(boost::asio::ip::tcp::socket& s) : socket_(s) {}

    void write(std::string_view bytes);
    void chunk(std::string_view data);  // one HTTP/1.1 chunk
    void reset();                       // RST (linger 0) once the script returns
    /// Blocks until the client closes (EOF or error) or the timeout passes; true on close.
    bool wait_for_client_close(std::chrono::milliseconds timeout);

    bool reset_requested() const { return reset_; }

private:
    boost::asio::ip::tcp::socket& socket_;
    bool reset_ = false;
};

class script_server
{
public:
    /// Returns true to keep the connection for another request, false to close it.
    using script = std::function<bool(script_connection&, recorded_request const&)>;

    explicit script_server(script s);
    ~script_server();

    unsigned short port() const { return port_; }
    std::vector<recorded_request> requests() const;
    int connections() const;

private:
    void serve(boost::asio::ip::tcp::socket socket, int index);
    void close(boost::asio::ip::tcp::socket& socket, bool graceful);

    script script_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::thread accept_thread_;
    mutable std::mutex mutex_;
    std::vector<recorded_request> requests_;
    std::vector<std::thread> threads_;
    std::vector<int> fds_;
    int connections_ = 0;
    bool stopping_ = false;
};

/// A loopback port that refuses connections: bound but never listening, so no other process
/// can take it while the test runs.
class refused_port
{
public:
    refused_port();
    unsigned short port() const { return port_; }

private:
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::socket socket_;
    unsigned short port_ = 0;
};

/// Waits for `pred` under `m`/`cv` up to `timeout`.
template <class Pred>
bool
wait_until(std::mutex& m, std::condition_variable& cv, std::chrono::milliseconds timeout, Pred pred)
{
    std::unique_lock lock(m);
    return cv.wait_for(lock, timeout, pred);
}

}  // namespace oc_test
