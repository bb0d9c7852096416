#pragma once
// raw_client: a blocking loopback TCP client for observing faults on the wire: every recv()
// is kept with its arrival time, and how the stream ended (EOF, RST, timeout) is reported.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mrb_test {

enum class stream_end { open, eof, reset, timeout, error };

struct read_piece
{
    std::chrono::steady_clock::time_point at;
    std::string bytes;
};

class raw_client
{
public:
    explicit raw_client(std::uint16_t port);
    ~raw_client();
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    void send(const std::string& bytes);

    /// Reads until the peer closes/resets or `timeout` passes in total.
    stream_end read_to_end(std::chrono::milliseconds timeout);
    /// Reads until `needle` occurs in all bytes so far, the stream ends, or `timeout`.
    stream_end read_until(const std::string& needle, std::chrono::milliseconds timeout);

    const std::string& data() const { return data_; }
    const std::vector<read_piece>& pieces() const { return pieces_; }
    std::chrono::steady_clock::time_point started() const { return started_; }

    /// Closes our side (FIN).
    void close();

private:
    stream_end read_once(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string data_;
    std::vector<read_piece> pieces_;
    std::chrono::steady_clock::time_point started_;
};

/// A POST of `body` (JSON) to `target` with optional extra header lines ("name: value\r\n").
std::string post(const std::string& target, const std::string& body, const std::string& extra_headers = {});
std::string get(const std::string& target, const std::string& extra_headers = {});

/// Splits a response into head and body at the first CRLFCRLF.
std::string head_of(const std::string& response);
std::string body_of(const std::string& response);
/// Decodes a chunked body; returns false if the framing is invalid or incomplete.
bool dechunk(const std::string& body, std::string& out);
/// Counts "data: " event lines.
std::size_t count_events(const std::string& text);

} // namespace mrb_test
