#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mrb::scenarios {

/// One server-sent event as the client saw it: its `data:` lines joined by '\n' and the
/// `event:` name (empty when absent).
struct sse_event {
  std::string event;
  std::string data;
};

/// Incremental SSE splitter (WHATWG rules: LF, CRLF or CR end a line; a blank line ends an
/// event). Sans-I/O: feed body bytes as they arrive, in any slicing.
class sse_splitter {
public:
  /// Feeds bytes; returns the events completed by these bytes, in order.
  std::vector<sse_event> feed(std::string_view bytes);

  /// True when bytes of an unfinished event are buffered (a stream cut mid-event).
  bool has_partial() const { return !line_.empty() || has_data_; }

private:
  void end_line(std::vector<sse_event>& out);

  std::string line_;
  bool pending_cr_ = false;
  sse_event current_;
  bool has_data_ = false;
};

}  // namespace mrb::scenarios
