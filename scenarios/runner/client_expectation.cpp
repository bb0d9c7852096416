#include "client_expectation.hpp"

#include "json_match.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace mrb::scenarios {

namespace {

const std::set<std::string> known_keys = {
    "status", "informational", "headers", "headers_present", "headers_absent", "header_count",
    "body", "body_contains", "body_not_contains", "body_json", "body_size", "complete", "end",
    "connection_closed", "no_response", "sse", "head_within_ms", "end_within_ms", "end_after_ms"};
const std::set<std::string> sse_keys = {"count", "data", "data_json", "done", "max_gap_ms",
                                        "first_within_ms", "spread_ms", "partial", "events"};

std::vector<std::string> string_list(const nlohmann::json& v) {
  if (v.is_string()) return {v.get<std::string>()};
  return v.get<std::vector<std::string>>();
}

}  // namespace

void client_expectation::validate(const nlohmann::json& expect) {
  if (!expect.is_object()) throw std::invalid_argument("expect must be an object");
  for (const auto& [k, v] : expect.items()) {
    if (!known_keys.count(k)) throw std::invalid_argument("unknown client expectation '" + k + "'");
    if (k == "sse") {
      for (const auto& [sk, sv] : v.items())
        if (!sse_keys.count(sk)) throw std::invalid_argument("unknown sse expectation '" + sk + "'");
    }
  }
}

void client_expectation::check(const nlohmann::json& e, const exchange_record& r,
                               std::vector<std::string>& f) {
  const std::string who = "client[" + r.id + "]";
  if (e.contains("no_response")) {
    const bool want = e["no_response"].get<bool>();
    if (want && r.got_head) f.push_back(who + ": expected no response, got status " + std::to_string(r.status));
    if (!want && !r.got_head) f.push_back(who + ": expected a response, got none (" + r.end + " " + r.end_detail + ")");
  }
  if (e.contains("status")) {
    const auto& s = e["status"];
    if (!r.got_head) {
      f.push_back(who + ": expected status " + s.dump() + ", got no response (" + r.end + " " + r.end_detail + ")");
    } else if (s.is_array() ? std::find(s.begin(), s.end(), r.status) == s.end() : !json_match::matches(s, r.status)) {
      f.push_back(who + ": expected status " + s.dump() + ", got " + std::to_string(r.status));
    }
  }
  if (e.contains("informational") && nlohmann::json(r.informational) != e["informational"])
    f.push_back(who + ": expected 1xx " + e["informational"].dump() + ", got " + nlohmann::json(r.informational).dump());
  if (e.contains("headers")) {
    for (const auto& [name, want] : e["headers"].items()) {
      const auto* got = r.header(name);
      json_match::compare(want, got ? nlohmann::json(*got) : nlohmann::json(nlohmann::json::value_t::discarded),
                          who + " header " + name, f);
    }
  }
  if (e.contains("headers_present"))
    for (const auto& name : string_list(e["headers_present"]))
      if (!r.header(name)) f.push_back(who + ": expected header " + name + " present");
  if (e.contains("headers_absent"))
    for (const auto& name : string_list(e["headers_absent"]))
      if (const auto* v = r.header(name)) f.push_back(who + ": expected header " + name + " absent, got '" + *v + "'");
  if (e.contains("header_count"))
    for (const auto& [name, n] : e["header_count"].items())
      if (r.header_count(name) != n.get<std::size_t>())
        f.push_back(who + ": expected " + n.dump() + " " + name + " header(s), got " + std::to_string(r.header_count(name)));
  if (e.contains("body") && r.body != e["body"].get<std::string>())
    f.push_back(who + ": expected body " + e["body"].dump() + ", got " + nlohmann::json(r.body.substr(0, 300)).dump());
  if (e.contains("body_contains"))
    for (const auto& s : string_list(e["body_contains"]))
      if (r.body.find(s) == std::string::npos)
        f.push_back(who + ": expected body to contain " + nlohmann::json(s).dump() + ", got " + nlohmann::json(r.body.substr(0, 300)).dump());
  if (e.contains("body_not_contains"))
    for (const auto& s : string_list(e["body_not_contains"]))
      if (r.body.find(s) != std::string::npos)
        f.push_back(who + ": expected body not to contain " + nlohmann::json(s).dump());
  if (e.contains("body_json")) {
    auto parsed = nlohmann::json::parse(r.body, nullptr, false);
    if (parsed.is_discarded()) f.push_back(who + ": expected a JSON body, got " + nlohmann::json(r.body.substr(0, 300)).dump());
    else json_match::compare(e["body_json"], parsed, who + " body", f);
  }
  if (e.contains("body_size")) json_match::compare(e["body_size"], r.body_bytes, who + " body_size", f);
  if (e.contains("complete") && e["complete"].get<bool>() != r.complete)
    f.push_back(who + ": expected complete=" + e["complete"].dump() + ", the exchange ended: " + r.end +
                (r.end_detail.empty() ? "" : " (" + r.end_detail + ")"));
  if (e.contains("end")) {
    const auto& want = e["end"];
    bool ok = want.is_array() ? std::find(want.begin(), want.end(), r.end) != want.end() : want == r.end;
    if (!ok) f.push_back(who + ": expected end " + want.dump() + ", got " + r.end + " " + r.end_detail);
  }
  if (e.contains("connection_closed") && e["connection_closed"].get<bool>() != r.connection_closed)
    f.push_back(who + ": expected connection_closed=" + e["connection_closed"].dump());
  if (e.contains("head_within_ms") && (r.t_head_ms < 0 || r.t_head_ms > e["head_within_ms"].get<double>()))
    f.push_back(who + ": expected the response head within " + e["head_within_ms"].dump() + " ms, got " +
                (r.t_head_ms < 0 ? std::string("none") : std::to_string(r.t_head_ms)));
  if (e.contains("end_within_ms") && (r.t_end_ms < 0 || r.t_end_ms > e["end_within_ms"].get<double>()))
    f.push_back(who + ": expected the exchange to end within " + e["end_within_ms"].dump() + " ms, it ended (" + r.end +
                ") after " + std::to_string(r.t_end_ms));
  if (e.contains("end_after_ms") && r.t_end_ms < e["end_after_ms"].get<double>())
    f.push_back(who + ": expected the exchange to last at least " + e["end_after_ms"].dump() + " ms, it ended after " +
                std::to_string(r.t_end_ms));
  if (e.contains("sse")) {
    const auto& s = e["sse"];
    const auto n = r.events.size();
    std::vector<std::string> data;
    for (const auto& ev : r.events) data.push_back(ev.event.data);
    if (s.contains("count")) json_match::compare(s["count"], n, who + " sse.count", f);
    if (s.contains("data") && nlohmann::json(data) != s["data"])
      f.push_back(who + ": expected SSE data " + s["data"].dump().substr(0, 300) + ", got " + nlohmann::json(data).dump().substr(0, 300));
    if (s.contains("data_json")) {
      nlohmann::json parsed = nlohmann::json::array();
      // Non-JSON data (the final [DONE]) is compared as a string.
      for (const auto& d : data) {
        auto j = nlohmann::json::parse(d, nullptr, false);
        parsed.push_back(j.is_discarded() ? nlohmann::json(d) : j);
      }
      json_match::compare(s["data_json"], parsed, who + " sse.data_json", f);
    }
    if (s.contains("events")) {
      nlohmann::json names = nlohmann::json::array();
      for (const auto& ev : r.events) names.push_back(ev.event.event);
      json_match::compare(s["events"], names, who + " sse.events", f);
    }
    if (s.contains("done")) {
      const bool done = n > 0 && data.back() == "[DONE]";
      if (done != s["done"].get<bool>()) f.push_back(who + ": expected the stream " + std::string(done ? "not " : "") + "to end with [DONE]");
    }
    if (s.contains("partial") && s["partial"].get<bool>() != r.partial_event)
      f.push_back(who + ": expected partial_event=" + s["partial"].dump());
    if (s.contains("max_gap_ms") && n > 0) {
      double prev = r.t_head_ms, worst = 0;
      for (const auto& ev : r.events) {
        worst = std::max(worst, ev.t_ms - prev);
        prev = ev.t_ms;
      }
      if (worst > s["max_gap_ms"].get<double>())
        f.push_back(who + ": expected every SSE event within " + s["max_gap_ms"].dump() + " ms of the previous one, worst gap " + std::to_string(worst) + " ms");
    }
    if (s.contains("first_within_ms") && (n == 0 || r.events.front().t_ms > s["first_within_ms"].get<double>()))
      f.push_back(who + ": expected the first SSE event within " + s["first_within_ms"].dump() + " ms, got " +
                  (n ? std::to_string(r.events.front().t_ms) : std::string("none")));
    if (s.contains("spread_ms")) {
      const double spread = n > 1 ? r.events.back().t_ms - r.events.front().t_ms : 0;
      if (spread < s["spread_ms"].get<double>())
        f.push_back(who + ": expected the events to arrive spread over >= " + s["spread_ms"].dump() +
                    " ms (no buffering), they arrived within " + std::to_string(spread) + " ms");
    }
  }
}

}  // namespace mrb::scenarios
