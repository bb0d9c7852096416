#include "capture_converter.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace mrb::scenarios {

namespace {

bool has_flag(const nlohmann::json& flags, const std::string& f) {
  return std::find(flags.begin(), flags.end(), f) != flags.end();
}

std::string header(const nlohmann::json& headers, const std::string& name) {
  for (const auto& kv : headers)
    if (boost::iequals(kv[0].get<std::string>(), name)) return kv[1].get<std::string>();
  return {};
}

// Median gap between consecutive relayed events: the pace the replay generates at.
long long median_gap_us(const nlohmann::json& times) {
  std::vector<long long> gaps;
  for (std::size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i].get<long long>() - times[i - 1].get<long long>());
  if (gaps.empty()) return 0;
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  return std::max(0LL, gaps[gaps.size() / 2]);
}

}  // namespace

nlohmann::json capture_converter::convert(const std::string& jsonl, const std::string& name, int index) {
  std::vector<nlohmann::json> exchanges;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error("capture line " + std::to_string(exchanges.size() + 1) + " is not a JSON object");
    exchanges.push_back(std::move(j));
  }
  if (exchanges.empty()) throw std::runtime_error("the capture holds no exchange");
  const auto pick = index < 0 ? exchanges.size() - 1 : static_cast<std::size_t>(index);
  if (pick >= exchanges.size()) throw std::runtime_error("the capture has only " + std::to_string(exchanges.size()) + " exchanges");
  const auto& x = exchanges[pick];

  const auto& req = x.at("request");
  const auto flags = x.value("flags", nlohmann::json::array());
  const int status = x.value("status", 0);
  const auto events = x.value("sse_events", 0);
  const bool has_up_head = x.contains("upstream_response") && x["upstream_response"].is_object();
  const auto up_status = has_up_head ? x["upstream_response"].value("status", 0) : 0;
  const auto up_headers = has_up_head ? x["upstream_response"].value("headers", nlohmann::json::array()) : nlohmann::json::array();
  const bool sse = boost::icontains(header(up_headers, "content-type"), "text/event-stream");

  // The fake Model Runner plays the recorded upstream: pace, status, where it was cut.
  nlohmann::json mr = nlohmann::json::object();
  nlohmann::json faults = nlohmann::json::array();
  nlohmann::json bridge_args = nlohmann::json::array();
  if (sse) {
    if (auto gap = median_gap_us(x.value("sse_event_us", nlohmann::json::array())); gap > 0)
      mr["token_interval_us"] = std::min(gap, 2000000LL);
    // A reply long enough to reach the recorded cut point (one word = one event).
    std::string words = "replayed";
    for (int i = 0; i < events + 4; ++i) words += " w" + std::to_string(i);
    mr["replies"] = nlohmann::json::array({{{"reply", words}}});
  }
  const bool cut = x.value("end", "complete") != "complete";
  if (!has_up_head) {
    // No head ever came: a stall (UT) or a reset/refusal before the head.
    if (has_flag(flags, "UT")) {
      faults.push_back({{"kind", "timeout"}});
      bridge_args = {"--response-header-timeout", std::to_string(std::max(100LL, x.value("dur_us", 1000000LL) / 1000)) + "ms"};
    } else if (has_flag(flags, "UR") || has_flag(flags, "UPE")) {
      faults.push_back({{"kind", "reset_peer"}});
    }
  } else if (up_status != 200) {
    nlohmann::json f = {{"kind", "status"}, {"code", up_status}};
    if (x.contains("response_body")) f["body"] = x["response_body"];
    if (auto ct = header(up_headers, "content-type"); !ct.empty()) f["content_type"] = ct;
    faults.push_back(f);
  } else if (cut && sse) {
    // `after_events` counts the events already sent, exactly what sse_events recorded.
    if (has_flag(flags, "UT")) {
      faults.push_back({{"kind", "timeout"}, {"after_events", events}});
      bridge_args = {"--idle-timeout", "500ms"};
    } else if (has_flag(flags, "UR") || has_flag(flags, "UPE")) {
      faults.push_back({{"kind", "reset_peer"}, {"after_events", events}});
    } else if (!has_flag(flags, "DC")) {
      faults.push_back({{"kind", "truncate"}, {"after_events", events}, {"close", 1}});
    }
  }
  if (auto ttfb = x.value("ttfb_us", 0LL); has_up_head && ttfb > 200000) faults.push_back({{"kind", "latency"}, {"ms", ttfb / 1000}});
  if (!faults.empty()) mr["faults"] = faults;

  // The client's request, minus what the runner sets itself and what was redacted.
  static const std::set<std::string> skip = {"host", "content-length", "transfer-encoding", "connection", "authorization",
                                             "proxy-authorization", "x-api-key", "api-key", "cookie"};
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& kv : req.value("headers", nlohmann::json::array())) {
    auto n = kv[0].get<std::string>();
    std::string lower = n;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (!skip.count(lower)) headers.push_back(kv);
  }
  nlohmann::json step = {{"do", "request"}, {"id", "replay"}, {"method", req.value("method", "GET")},
                         {"path", req.value("target", "/")}, {"headers", headers}, {"deadline_ms", 8000}};
  const auto method = req.value("method", "GET");
  if (x.contains("request_body")) {
    step["body"] = x["request_body"];
  } else if (method == "POST") {
    // No body captured: a chat request of the recorded size, streamed if the answer was.
    nlohmann::json body = {{"model", "ai/smollm2"}, {"messages", {{{"role", "user"}, {"content", "replay"}}}}, {"stream", sse}};
    step["body_json"] = body;
    if (auto n = x.value("bytes_in", 0LL); n > static_cast<long long>(body.dump().size()) + 14) step["pad_to"] = n;
  }
  nlohmann::json expect = {{"status", status}};
  if (sse) expect["sse"] = {{"count", events}};
  if (cut) expect["complete"] = false;
  else expect["complete"] = true;
  step["expect"] = expect;

  nlohmann::json log_expect = {{"status", status}, {"flags", {{"$set", flags}}}};
  nlohmann::json scenario = {
      {"description", "Replay of captured exchange " + std::to_string(pick + 1) + " of " + name + ": " + method + " " +
                          req.value("target", "/") + " -> " + std::to_string(status) + (flags.empty() ? "" : " " + flags.dump()) +
                          (x.contains("detail") ? " (" + x["detail"].get<std::string>() + ")" : "")},
      {"needs", {"fake_proxy"}},
      {"topology", {{"model_runner", mr},
                    {"proxy", {{"policy", {{"mode", "deny"}, {"allow_hosts", {"localhost:${model_runner.port}"}}}}}}}},
      {"steps", {step, {{"do", "expect"}, {"bridge_log", {{"last", log_expect}}}}}}};
  if (!bridge_args.empty()) scenario["topology"]["bridge"] = {{"args", bridge_args}};
  return scenario;
}

nlohmann::json capture_converter::convert_file(const std::filesystem::path& file, int index) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return convert(ss.str(), file.stem().string(), index);
}

}  // namespace mrb::scenarios
