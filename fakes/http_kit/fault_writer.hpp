#pragma once
// fault_writer: writes a response to a socket through Toxiproxy-style "toxics" (names and
// meanings from Shopify/toxiproxy, applied to the server->client direction only):
//   latency      delay before the first byte (shifts the whole response, like toxiproxy)
//   bandwidth    bytes per second (sleep after each segment in proportion to its size)
//   slicer       split every write into segments of `slice_size` bytes, `slice_delay` apart
//   limit_data   after this many bytes in total, stop writing and close (FIN)
//   slow_close   delay before the FIN in close()
// plus reset_peer() (RST via SO_LINGER 0), stall() (hold the connection, send nothing) and
// pause() (a delay that returns early when the peer closes). All waits notice a peer close.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fakes::http_kit {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

struct toxics
{
    std::chrono::microseconds latency{0};
    std::uint64_t bandwidth_bytes_per_s = 0;   ///< 0 = unlimited
    std::size_t slice_size = 0;                ///< 0 = no slicing
    std::chrono::microseconds slice_delay{0};
    std::optional<std::uint64_t> limit_data;   ///< total bytes, then close
    std::chrono::milliseconds slow_close{0};
};

class fault_writer
{
public:
    fault_writer(tcp::socket& socket, toxics t);

    /// Writes `bytes` with the toxics applied. Returns net::error::eof (and closes) once
    /// limit_data is reached; any socket error otherwise.
    net::awaitable<error_code> write(std::string_view bytes);

    /// Waits `d`; returns early with an error (eof / connection_reset) if the peer closes.
    /// Data the peer sends meanwhile (pipelining) is left unread.
    net::awaitable<error_code> pause(std::chrono::microseconds d);

    /// Sends nothing and holds the connection until the peer closes (returns eof) or `max`
    /// elapses (returns timed_out); max 0 = until the peer closes or the context stops.
    net::awaitable<error_code> stall(std::chrono::milliseconds max);

    /// RST instead of FIN: SO_LINGER {on, 0} then close.
    void reset_peer();

    /// slow_close delay (peer-close aware), then shutdown(send) and close.
    net::awaitable<void> close();

    std::uint64_t bytes_written() const { return written_; }
    bool limit_reached() const { return limit_hit_; }
    tcp::socket& socket() { return socket_; }

private:
    net::awaitable<error_code> write_segment(std::string_view seg);

    tcp::socket& socket_;
    toxics toxics_;
    std::uint64_t written_ = 0;
    bool first_write_ = true;
    bool limit_hit_ = false;
};

} // namespace fakes::http_kit
