#include "transcript.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

namespace mrb::scenarios {

namespace {

std::string fmt_ms(double ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%9.1f", ms);
  return b;
}

// Shows control bytes so framing cases are readable.
std::string visible(const std::string& s, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n\n                 ";
    else if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else out.push_back(static_cast<char>(c));
  }
  if (s.size() > limit) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace

double transcript::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
}

void transcript::add(const std::string& hop, const std::string& text) {
  std::lock_guard lock(mutex_);
  lines_.push_back(fmt_ms(now_ms()) + " ms  [" + hop + "] " + text);
}

void transcript::add_exchange(const exchange_record& r) {
  std::ostringstream o;
  o << "exchange '" << r.id << "'\n                 > " << visible(r.request_head, 1500);
  if (r.request_body_bytes) o << "\n                 > (+" << r.request_body_bytes << " body bytes)";
  if (!r.connected) o << "\n                 connect failed: " << r.connect_error;
  for (int s : r.informational) o << "\n                 < " << s << " (informational)";
  if (r.got_head) {
    o << "\n                 < " << r.status << " " << r.reason << " at " << r.t_head_ms << " ms";
    for (const auto& [k, v] : r.headers) o << "\n                 < " << k << ": " << v;
  } else {
    o << "\n                 < (no response head)";
  }
  o << "\n                 body " << r.body_bytes << " bytes in " << r.reads.size() << " reads";
  if (!r.body.empty()) o << ": " << visible(r.body, 600);
  std::size_t shown = 0;
  for (const auto& ev : r.events) {
    if (++shown > 12) {
      o << "\n                 ... " << r.events.size() << " events in all, last at " << r.events.back().t_ms << " ms";
      break;
    }
    o << "\n                 event at " << ev.t_ms << " ms: " << visible(ev.event.data, 120);
  }
  o << "\n                 end: " << r.end << (r.end_detail.empty() ? "" : " (" + r.end_detail + ")") << " at "
    << r.t_end_ms << " ms" << (r.complete ? ", complete" : ", incomplete")
    << (r.connection_closed ? ", connection closed by peer" : "");
  add("client", o.str());
}

std::string transcript::str() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& l : lines_) out += l + "\n";
  return out;
}

}  // namespace mrb::scenarios
