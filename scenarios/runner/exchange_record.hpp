#pragma once

#include "sse_splitter.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace mrb::scenarios {

/// Everything the runner's client observed during one request/response exchange. Times are in
/// milliseconds since the first byte of the request was written.
struct exchange_record {
  struct read_chunk {
    double t_ms = 0;
    std::size_t bytes = 0;
  };
  struct timed_event {
    double t_ms = 0;
    sse_event event;
  };

  std::string id;
  std::string request_head;           // what was sent before the body (for the transcript)
  std::size_t request_body_bytes = 0;

  bool connected = false;
  std::string connect_error;

  bool got_head = false;
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order, duplicates kept
  std::vector<int> informational;                              // 1xx statuses seen first
  double t_head_ms = -1;

  std::string body;                   // the first body_keep_limit bytes
  std::size_t body_bytes = 0;
  static constexpr std::size_t body_keep_limit = 4 * 1024 * 1024;

  /// How the exchange ended: "complete", "eof" (peer closed before the framed end), "reset",
  /// "timeout", "aborted" (the client did it on purpose), "parse_error", "write_error".
  std::string end = "timeout";
  std::string end_detail;
  double t_end_ms = -1;
  bool complete = false;            // the response was received in full per its framing
  bool connection_closed = false;   // the peer closed the connection (EOF or reset) at some point
  bool aborted_by_client = false;
  double t_abort_ms = -1;

  std::vector<read_chunk> reads;
  std::vector<timed_event> events;
  bool partial_event = false;       // the body ended inside an event

  const std::string* header(std::string_view name) const;
  std::size_t header_count(std::string_view name) const;
};

}  // namespace mrb::scenarios
