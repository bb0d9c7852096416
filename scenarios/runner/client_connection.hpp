#pragma once

#include "exchange_record.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace mrb::scenarios {

/// What to send on a connection and when to give up or hang up.
struct exchange_plan {
  std::string id;
  std::string head;                 // request head bytes (or all raw bytes)
  std::string body;                 // request body bytes, written after the head
  std::chrono::milliseconds send_gap{0};  // delay between head and body (slow senders)
  bool head_request = false;        // response has no body (HEAD)
  bool half_close = false;          // shutdown(SHUT_WR) after sending
  int abort_after_events = -1;      // client hangs up after this many SSE events
  long long abort_after_bytes = -1; // ... or after this many body bytes
  int abort_after_ms = -1;          // ... or this long after the first byte was sent
  std::chrono::milliseconds deadline{5000};  // whole exchange
};

/// One client TCP connection to the bridge, kept open between exchanges for keep-alive reuse.
/// Owns its own io_context so exchanges can run on any (one at a time) thread. Beast stays in
/// the .cpp.
class client_connection {
public:
  client_connection();
  ~client_connection();
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;

  /// Connects to 127.0.0.1:port; false with `error` set on failure.
  bool connect(std::uint16_t port, std::chrono::milliseconds timeout, std::string& error);

  /// Sends the plan's bytes and reads one response (plus 1xx) per the plan.
  exchange_record exchange(const exchange_plan& plan);

  /// True when the connection can carry another request.
  bool usable() const;

  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mrb::scenarios
