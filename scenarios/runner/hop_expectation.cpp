#include "hop_expectation.hpp"

#include "json_match.hpp"

#include <boost/algorithm/string/case_conv.hpp>

#include <set>
#include <stdexcept>

namespace mrb::scenarios {

namespace {

const std::set<std::string> hop_keys = {"requests", "first", "last", "each", "any", "nth", "allowed", "denied",
                                        "log", "disconnect_within_ms"};
const std::set<std::string> request_keys = {"method", "target", "path", "headers", "headers_present",
                                            "headers_absent", "header_count", "body_size", "body_json", "connection",
                                            "allowed", "reason", "injected", "status", "upstream_headers",
                                            "upstream_reused", "forwarded"};
// Keys compared as plain JSON patterns against the recorded field of the same name.
const char* const plain_keys[] = {"method", "target", "path", "body_size", "body_json", "connection", "allowed",
                                  "reason", "injected", "status", "upstream_headers", "upstream_reused", "forwarded"};

std::vector<std::string> names(const nlohmann::json& v) {
  if (v.is_string()) return {v.get<std::string>()};
  return v.get<std::vector<std::string>>();
}

void validate_request(const nlohmann::json& p) {
  for (const auto& [k, v] : p.items())
    if (!request_keys.count(k)) throw std::invalid_argument("unknown request expectation '" + k + "'");
}

}  // namespace

void hop_expectation::validate(const nlohmann::json& e) {
  for (const auto& [k, v] : e.items()) {
    if (!hop_keys.count(k)) throw std::invalid_argument("unknown hop expectation '" + k + "'");
    if (k == "first" || k == "last" || k == "each" || k == "any") validate_request(v);
    if (k == "nth")
      for (const auto& [i, p] : v.items()) validate_request(p);
  }
}

bool hop_expectation::uses_requests(const nlohmann::json& e) {
  for (const char* k : {"requests", "first", "last", "each", "any", "nth"})
    if (e.contains(k)) return true;
  return false;
}

bool hop_expectation::uses_network_log(const nlohmann::json& e) {
  return e.contains("allowed") || e.contains("denied") || e.contains("log");
}

void hop_expectation::check_request(const std::string& where, const nlohmann::json& p, const nlohmann::json& r,
                                    std::vector<std::string>& f) {
  const nlohmann::json missing(nlohmann::json::value_t::discarded);
  for (const char* k : plain_keys)
    if (p.contains(k)) json_match::compare(p[k], r.contains(k) ? r[k] : missing, where + "." + k, f);
  const auto& h = r["headers"];
  if (p.contains("headers"))
    for (const auto& [name, want] : p["headers"].items()) {
      auto lower = boost::algorithm::to_lower_copy(name);
      json_match::compare(want, h.contains(lower) ? h[lower] : missing, where + " header " + name, f);
    }
  if (p.contains("headers_present"))
    for (const auto& n : names(p["headers_present"]))
      if (!h.contains(boost::algorithm::to_lower_copy(n))) f.push_back(where + ": expected header " + n + " present");
  if (p.contains("headers_absent"))
    for (const auto& n : names(p["headers_absent"])) {
      auto lower = boost::algorithm::to_lower_copy(n);
      if (h.contains(lower)) f.push_back(where + ": expected header " + n + " absent, got '" + h[lower].get<std::string>() + "'");
    }
  if (p.contains("header_count"))
    for (const auto& [name, n] : p["header_count"].items()) {
      std::size_t count = 0;
      for (const auto& kv : r["header_list"])
        if (boost::algorithm::to_lower_copy(kv[0].get<std::string>()) == boost::algorithm::to_lower_copy(name)) ++count;
      if (count != n.get<std::size_t>())
        f.push_back(where + ": expected " + n.dump() + " " + name + " header(s), got " + std::to_string(count));
    }
}

void hop_expectation::check(const std::string& hop, const nlohmann::json& e, const nlohmann::json& reqs,
                            const nlohmann::json& log, std::vector<std::string>& f) {
  if (e.contains("requests")) json_match::compare(e["requests"], reqs.size(), hop + " requests", f);
  auto need_one = [&](const char* what) {
    if (reqs.empty()) f.push_back(hop + ": expected a request for '" + what + "', none was received");
    return !reqs.empty();
  };
  if (e.contains("first") && need_one("first")) check_request(hop + " first request", e["first"], reqs.front(), f);
  if (e.contains("last") && need_one("last")) check_request(hop + " last request", e["last"], reqs.back(), f);
  if (e.contains("nth"))
    for (const auto& [i, p] : e["nth"].items()) {
      auto n = std::stoul(i);
      if (n >= reqs.size()) f.push_back(hop + ": expected a request #" + i + ", only " + std::to_string(reqs.size()) + " received");
      else check_request(hop + " request #" + i, p, reqs[n], f);
    }
  if (e.contains("each"))
    for (std::size_t i = 0; i < reqs.size(); ++i) check_request(hop + " request #" + std::to_string(i), e["each"], reqs[i], f);
  if (e.contains("any") && need_one("any")) {
    bool found = false;
    std::vector<std::string> first_miss;
    for (const auto& r : reqs) {
      std::vector<std::string> miss;
      check_request(hop + " any request", e["any"], r, miss);
      if (miss.empty()) found = true;
      else if (first_miss.empty()) first_miss = miss;
    }
    if (!found) {
      f.push_back(hop + ": no request matched " + e["any"].dump());
      f.insert(f.end(), first_miss.begin(), first_miss.end());
    }
  }
  std::size_t allowed = 0, denied = 0;
  for (const auto& l : log) (l.value("action", "") == "denied" ? denied : allowed)++;
  if (e.contains("allowed")) json_match::compare(e["allowed"], allowed, hop + " allowed log entries", f);
  if (e.contains("denied")) json_match::compare(e["denied"], denied, hop + " denied log entries", f);
  if (e.contains("log")) json_match::compare(e["log"], log, hop + " network log", f);
}

}  // namespace mrb::scenarios
