#include "sse_splitter.hpp"

namespace mrb::scenarios {

std::vector<sse_event> sse_splitter::feed(std::string_view bytes) {
  std::vector<sse_event> out;
  for (char c : bytes) {
    // A CR followed by LF is one line end: the CR already ended the line.
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr_ = true;
      end_line(out);
    } else if (c == '\n') {
      end_line(out);
    } else {
      line_.push_back(c);
    }
  }
  return out;
}

void sse_splitter::end_line(std::vector<sse_event>& out) {
  if (line_.empty()) {
    // Blank line: dispatch, but only events with data (WHATWG: an empty data buffer is dropped).
    if (has_data_) out.push_back(std::move(current_));
    current_ = {};
    has_data_ = false;
    return;
  }
  if (line_.front() != ':') {
    auto colon = line_.find(':');
    std::string name = line_.substr(0, colon);
    std::string value;
    if (colon != std::string::npos) {
      value = line_.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    }
    if (name == "data") {
      if (has_data_) current_.data.push_back('\n');
      current_.data += value;
      has_data_ = true;
    } else if (name == "event") {
      current_.event = value;
    }
  }
  line_.clear();
}

}  // namespace mrb::scenarios
