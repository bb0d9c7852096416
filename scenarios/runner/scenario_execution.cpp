#include "scenario_execution.hpp"

#include "client_expectation.hpp"
#include "hop_expectation.hpp"
#include "json_match.hpp"
#include "model_runner_hop.hpp"
#ifdef MRB_HAVE_FAKE_PROXY
#include "proxy_hop.hpp"
#endif
#include "squid_hop.hpp"
#include "squid_policy.hpp"

#include <fake_openclaw.hpp>
#include <json5_reader.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace mrb::scenarios {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int signal_number(const std::string& name) {
  if (name == "SIGTERM") return SIGTERM;
  if (name == "SIGINT") return SIGINT;
  if (name == "SIGKILL") return SIGKILL;
  if (name == "SIGHUP") return SIGHUP;
  throw std::invalid_argument("unknown signal " + name);
}

// Request bytes from a `raw` step: a string, or an array of strings and {"repeat","count"}.
std::string raw_bytes(const nlohmann::json& b) {
  if (b.is_string()) return b.get<std::string>();
  std::string out;
  for (const auto& piece : b) {
    if (piece.is_string()) {
      out += piece.get<std::string>();
    } else {
      const auto text = piece.at("repeat").get<std::string>();
      for (int i = 0, n = piece.at("count").get<int>(); i < n; ++i) out += text;
    }
  }
  return out;
}

bool has_header(const std::vector<std::pair<std::string, std::string>>& h, const std::string& name) {
  for (const auto& [k, v] : h)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return true;
  return false;
}

}  // namespace

scenario_execution::scenario_execution(const scenario& sc, run_settings settings)
    : sc_(sc), settings_(std::move(settings)), deadline_(clock_type::now() + sc.timeout) {}

scenario_execution::~scenario_execution() {
  // Async exchanges are bounded by their own deadlines; wait for them before the sockets go.
  for (auto& [id, p] : pending_)
    if (p.records.valid()) p.records.wait();
  bridge_.reset();
  proxy_.reset();
  model_runner_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::chrono::milliseconds scenario_execution::remaining() const {
  return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock_type::now()));
}

std::chrono::milliseconds scenario_execution::bounded(std::chrono::milliseconds want) const {
  return std::min(want, remaining());
}

void scenario_execution::fail(const std::string& what) {
  failures_.push_back(what);
  transcript_.add("runner", "FAILED: " + what);
}

void scenario_execution::not_observed(const std::string& what) {
  not_observed_.push_back(what);
  transcript_.add("runner", "not observable here: " + what);
}

component_hop* scenario_execution::hop(const std::string& name) {
  if (name == "model_runner") return model_runner_.get();
  if (name == "proxy") return proxy_.get();
  throw std::invalid_argument("unknown component '" + name + "'");
}

std::string scenario_execution::not_applicable_reason() const {
  const bool squid = settings_.proxy == "real-squid";
  if (squid && sc_.needs_feature("fake_proxy")) return "needs the fake proxy (marked needs: fake_proxy)";
  if (!settings_.bridge.ours()) {
    for (const char* f : {"bridge_cli", "access_log", "capture"})
      if (sc_.needs_feature(f)) return std::string("needs model-runner-bridge's ") + f;
  }
  if (squid && sc_.topology.contains("proxy")) {
    // Ports are not known yet: any number shows whether the policy's shape translates.
    placeholder_map dummy;
    for (const char* n : {"model_runner.port", "proxy.port", "bridge.port", "closed_port"}) dummy.set(n, 1);
    auto p = squid_policy::from_fake_options(dummy.expand(sc_.topology["proxy"]), 1);
    if (!p.expressible) return p.why_not;
  }
  return {};
}

bool scenario_execution::start_topology() {
  char tmpl[] = "/tmp/mrb-scenario-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  vars_.set("dir", dir_.string());
  vars_.set("closed_port", bridge_hop::free_port());
  const auto files = sc_.topology.value("files", nlohmann::json::object());
  for (const auto& [name, content] : files.items()) {
    fs::path p = dir_ / vars_.expand(name);
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << (content.is_string() ? vars_.expand(content.get<std::string>())
                                                               : vars_.expand(content).dump(2));
  }

  // Model Runner first: the proxy's policy and the bridge's target name its port.
  if (sc_.topology.contains("model_runner")) {
    model_runner_ = std::make_unique<model_runner_hop>();
    model_runner_options_ = vars_.expand(sc_.topology["model_runner"]);
    model_runner_->start(model_runner_options_);
    vars_.set("model_runner.port", model_runner_->port());
    transcript_.add("model_runner", "fake Model Runner on 127.0.0.1:" + std::to_string(model_runner_->port()));
  } else {
    vars_.set("model_runner.port", bridge_hop::free_port());
    transcript_.add("model_runner", "none (port " + std::to_string(bridge_hop::free_port()) + " is closed)");
  }

  if (sc_.topology.contains("proxy")) {
    proxy_options_ = vars_.expand(sc_.topology["proxy"]);
    const auto mr_port = static_cast<std::uint16_t>(std::stoi(vars_.expand(std::string("${model_runner.port}"))));
    if (settings_.proxy == "real-squid") proxy_ = std::make_unique<squid_hop>(mr_port);
    else {
#ifdef MRB_HAVE_FAKE_PROXY
      proxy_ = std::make_unique<proxy_hop>();
#else
      throw std::runtime_error("this runner was built without the fake sandbox proxy; use --proxy real-squid");
#endif
    }
    proxy_->start(proxy_options_);
    vars_.set("proxy.port", proxy_->port());
    transcript_.add("proxy", std::string(settings_.proxy == "real-squid" ? "Squid" : "fake sandbox proxy") +
                                 " on 127.0.0.1:" + std::to_string(proxy_->port()));
  } else {
    vars_.set("proxy.port", bridge_hop::free_port());
    transcript_.add("proxy", "none (the bridge's proxy port is closed)");
  }

  auto section = vars_.expand(sc_.topology.value("bridge", nlohmann::json::object()));
  const auto proxy_url = section.value("proxy_url", vars_.expand(std::string("http://127.0.0.1:${proxy.port}")));
  const auto target = section.value("target", vars_.expand(std::string("localhost:${model_runner.port}")));
  bridge_ = std::make_unique<bridge_hop>(settings_.bridge);
  std::string error;
  if (section.contains("expect_start_failure")) {
    const auto want = section["expect_start_failure"];
    bridge_->start(section, proxy_url, target, dir_, bounded(3000ms), error);
    transcript_.add("bridge", bridge_->command_line());
    auto code = bridge_->wait_exit(bounded(5000ms));
    if (!code) fail("bridge: expected it to fail to start, it is still running");
    else json_match::compare(want.value("exit_code", nlohmann::json({{"$any", true}})), *code, "bridge exit code", failures_);
    if (want.contains("stderr_contains") && bridge_->output().find(want["stderr_contains"].get<std::string>()) == std::string::npos)
      fail("bridge: expected its output to contain " + want["stderr_contains"].dump());
    return false;
  }
  if (!bridge_->start(section, proxy_url, target, dir_, bounded(10000ms), error)) {
    transcript_.add("bridge", bridge_->command_line());
    fail("bridge did not start: " + error);
    return false;
  }
  vars_.set("bridge.port", bridge_->port());
  transcript_.add("bridge", bridge_->command_line() + " -> listening on 127.0.0.1:" + std::to_string(bridge_->port()));
  return true;
}

// A proxy `deny_style` given as `{"each": {"<style>": {"<name>": value, ...}, ...}}` runs the whole
// scenario once per style (a fresh topology each), with `${deny_style}` and `${deny.<name>}` set
// from that entry, so one file states what the client must get under every denial shape. An
// entry named "squid" holds the expectations under --proxy real-squid instead.
scenario_result scenario_execution::run() {
  const auto* proxy = sc_.topology.contains("proxy") ? &sc_.topology["proxy"] : nullptr;
  if (proxy && proxy->contains("deny_style") && (*proxy)["deny_style"].is_object()) return run_deny_matrix();
  return run_once();
}

scenario_result scenario_execution::run_deny_matrix() {
  const auto& each = sc_.topology["proxy"]["deny_style"].value("each", nlohmann::json::object());
  scenario_result total;
  total.file = sc_.file.string();
  total.suite = sc_.suite;
  total.name = sc_.name;
  total.description = sc_.description;
  total.seed_defect = sc_.seed_defect;
  total.known_failure = sc_.known_failure;
  if (!each.is_object() || each.empty() || sc_.topology["proxy"]["deny_style"].size() != 1) {
    total.reason = "topology.proxy.deny_style: a matrix is {\"each\": {\"<style>\": {placeholders...}, ...}}";
    total.failures.push_back(total.reason);
    return total;
  }
  if (auto why = not_applicable_reason(); !why.empty()) {
    total.outcome = "n/a";
    total.reason = why;
    return total;
  }
  std::vector<std::string> outcomes;
  const bool squid = settings_.proxy == "real-squid";
  for (const auto& [style, values] : each.items()) {
    // Squid has its own denial page: under it only the entry named "squid" runs (once); with
    // the fake proxy every entry but that one.
    if (squid != (style == "squid")) continue;
    scenario variant = sc_;
    variant.topology["proxy"]["deny_style"] = squid ? "403" : style;
    variant.known_failure.clear();
    scenario_execution sub(variant, settings_);
    sub.vars_.set("deny_style", style);
    for (const auto& [k, v] : values.items())
      sub.vars_.set("deny." + k, v.is_string() ? v.get<std::string>() : v.dump());
    auto r = sub.run_once();
    total.ms += r.ms;
    if (r.outcome == "n/a") {
      total.outcome = "n/a";
      total.reason = r.reason;
      return total;
    }
    outcomes.push_back(style + ": " + r.outcome);
    for (auto& f : r.failures) total.failures.push_back("[deny_style " + style + "] " + f);
    for (auto& n : r.not_observed) total.not_observed.push_back("[deny_style " + style + "] " + n);
    if (!r.transcript.empty()) total.transcript += "=== deny_style " + style + " ===\n" + r.transcript;
  }
  if (outcomes.empty()) {
    total.outcome = "n/a";
    total.reason = squid ? "the deny-style matrix has no \"squid\" entry" : "the deny-style matrix is empty";
    return total;
  }
  const bool failed = !total.failures.empty();
  if (sc_.known_failure.empty()) total.outcome = failed ? "fail" : "pass";
  else total.outcome = failed ? "xfail" : "xpass";
  if (failed) total.reason = total.failures.front();
  if (total.outcome == "xpass") total.reason = "passes although marked known_failure: " + sc_.known_failure;
  if (!failed && settings_.transcript_on_pass) total.transcript = "runs: " + [&] {
    std::string s;
    for (const auto& o : outcomes) s += (s.empty() ? "" : ", ") + o;
    return s;
  }() + "\n" + total.transcript;
  return total;
}

scenario_result scenario_execution::run_once() {
  scenario_result res;
  res.file = sc_.file.string();
  res.suite = sc_.suite;
  res.name = sc_.name;
  res.description = sc_.description;
  res.seed_defect = sc_.seed_defect;
  res.known_failure = sc_.known_failure;
  const auto t0 = clock_type::now();
  if (auto why = not_applicable_reason(); !why.empty()) {
    res.outcome = "n/a";
    res.reason = why;
    return res;
  }
  try {
    if (start_topology()) {
      for (std::size_t i = 0; i < sc_.steps.size() && failures_.empty(); ++i) {
        const auto& step = sc_.steps[i];
        transcript_.add("runner", "step " + std::to_string(i + 1) + ": " + step["do"].get<std::string>() +
                                      (step.contains("id") ? " " + step["id"].get<std::string>() : "") +
                                      (step.contains("note") ? " (" + step["note"].get<std::string>() + ")" : ""));
        run_step(step);
        if (remaining() == 0ms && failures_.empty() && i + 1 < sc_.steps.size())
          fail("the scenario's timeout_ms (" + std::to_string(sc_.timeout.count()) + ") ran out");
      }
    }
    // Exchanges nobody awaited still get judged.
    for (auto& [id, p] : pending_) {
      if (!p.records.valid()) continue;
      auto recs = p.records.get();
      check_exchanges(recs, p.expect, p.expect_next);
    }
  } catch (const std::exception& e) {
    fail(std::string("runner error: ") + e.what());
  }
  if (model_runner_) transcript_.add("model_runner", model_runner_->describe());
  if (proxy_) transcript_.add("proxy", proxy_->describe());
  if (bridge_) transcript_.add("bridge", bridge_->output());
  res.failures = failures_;
  res.not_observed = not_observed_;
  const bool failed = !failures_.empty();
  if (sc_.known_failure.empty()) res.outcome = failed ? "fail" : "pass";
  else res.outcome = failed ? "xfail" : "xpass";
  if (failed) res.reason = failures_.front();
  if (res.outcome == "xpass") res.reason = "passes although marked known_failure: " + sc_.known_failure;
  if (failed || settings_.transcript_on_pass || res.outcome == "xpass") res.transcript = transcript_.str();
  res.ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
  return res;
}

void scenario_execution::run_step(const nlohmann::json& step) {
  const auto kind = step["do"].get<std::string>();
  if (kind == "request") return step_exchange(step, false);
  if (kind == "raw") return step_exchange(step, true);
  if (kind == "await") return step_await(step);
  if (kind == "openclaw") return step_openclaw(step);
  if (kind == "run") return step_run(step);
  if (kind == "expect") return step_expect(step);
  if (kind == "sleep") {
    // A scripted pause (idle timeouts, keep-alive expiry), bounded by the scenario deadline.
    std::this_thread::sleep_for(bounded(std::chrono::milliseconds(step["ms"].get<int>())));
    return;
  }
  if (kind == "set") {
    auto* h = hop(step["component"].get<std::string>());
    if (!h) return fail("set: component " + step["component"].get<std::string>() + " is not in the topology");
    h->set(vars_.expand(step["options"]));
    transcript_.add(step["component"].get<std::string>(), "set " + step["options"].dump());
    return;
  }
  if (kind == "stop" || kind == "start") {
    const auto name = step["component"].get<std::string>();
    auto* h = hop(name);
    if (!h) return fail(kind + ": component " + name + " is not in the topology");
    if (kind == "stop") h->stop();
    else h->start(name == "proxy" ? proxy_options_ : model_runner_options_);
    transcript_.add(name, kind == "stop" ? "stopped" : "started again on port " + std::to_string(h->port()));
    return;
  }
  if (kind == "signal") {
    const auto name = step["signal"].get<std::string>();
    transcript_.add("runner", "sending " + name + " to the bridge");
    if (!bridge_->signal(signal_number(name))) fail("signal: the bridge is not running");
    return;
  }
  if (kind == "write_file") {
    fs::path p = dir_ / vars_.expand(step["path"].get<std::string>());
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << (step.contains("json") ? vars_.expand(step["json"]).dump(2)
                                                                 : vars_.expand(step["content"].get<std::string>()));
    transcript_.add("runner", "wrote " + p.string());
    return;
  }
  throw std::invalid_argument("unhandled step " + kind);
}

void scenario_execution::step_exchange(const nlohmann::json& step, bool raw) {
  const auto id = step.value("id", "r" + std::to_string(connections_.size() + pending_.size() + 1));
  exchange_plan plan;
  plan.id = id;
  plan.deadline = bounded(std::chrono::milliseconds(step.value("deadline_ms", 5000)));
  plan.half_close = step.value("half_close", false);
  int responses = 1;
  if (raw) {
    plan.head = vars_.expand(raw_bytes(step["bytes"]));
    responses = step.value("responses", 1);
  } else {
    const auto method = step.value("method", "GET");
    const auto path = vars_.expand(step.value("path", "/"));
    std::vector<std::pair<std::string, std::string>> headers;
    const auto h = step.value("headers", nlohmann::json::object());
    if (h.is_array())
      for (const auto& kv : h) headers.emplace_back(kv[0].get<std::string>(), vars_.expand(kv[1].get<std::string>()));
    else
      for (const auto& [k, v] : h.items()) headers.emplace_back(k, vars_.expand(v.get<std::string>()));
    std::string body;
    if (step.contains("body")) body = vars_.expand(step["body"].get<std::string>());
    if (step.contains("body_json")) {
      auto j = vars_.expand(step["body_json"]);
      if (step.contains("pad_to")) {
        // Grow the JSON to the wanted size with an extra field the Model Runner ignores.
        const auto want = step["pad_to"].get<std::size_t>();
        j["padding"] = "";
        const auto base = j.dump().size();
        if (want > base) j["padding"] = std::string(want - base, 'x');
      }
      body = j.dump();
    }
    if (step.contains("body_repeat"))
      for (int i = 0, n = step["body_repeat"].at("count").get<int>(); i < n; ++i)
        body += step["body_repeat"].at("text").get<std::string>();
    if (step.value("default_headers", true)) {
      if (!has_header(headers, "host")) headers.insert(headers.begin(), {"Host", "127.0.0.1:" + std::to_string(bridge_->port())});
      if (!body.empty() && !has_header(headers, "content-length") && !has_header(headers, "transfer-encoding"))
        headers.emplace_back("Content-Length", std::to_string(body.size()));
      if (body.empty() && (method == "POST" || method == "PUT") && !has_header(headers, "content-length") &&
          !has_header(headers, "transfer-encoding"))
        headers.emplace_back("Content-Length", "0");
    }
    plan.head = method + " " + path + " HTTP/" + step.value("http_version", "1.1") + "\r\n";
    for (const auto& [k, v] : headers) plan.head += k + ": " + v + "\r\n";
    plan.head += "\r\n";
    plan.body = std::move(body);
    plan.head_request = method == "HEAD";
    plan.send_gap = std::chrono::milliseconds(step.value("send_gap_ms", 0));
    if (step.contains("abort")) {
      const auto& a = step["abort"];
      plan.abort_after_events = a.value("after_events", -1);
      plan.abort_after_bytes = a.value("after_bytes", -1LL);
      plan.abort_after_ms = a.value("after_ms", -1);
    }
  }

  std::shared_ptr<client_connection> conn;
  if (step.contains("connection")) {
    auto it = connections_.find(step["connection"].get<std::string>());
    if (it == connections_.end()) return fail(id + ": no earlier exchange '" + step["connection"].get<std::string>() + "'");
    conn = it->second;
  } else {
    conn = std::make_shared<client_connection>();
  }
  connections_[id] = conn;
  const bool fresh = !step.contains("connection");
  const auto port = bridge_->port();
  auto job = [conn, plan, responses, fresh, port, this]() {
    std::vector<exchange_record> recs;
    if (fresh) {
      std::string error;
      if (!conn->connect(port, std::min(plan.deadline, std::chrono::milliseconds(3000)), error)) {
        exchange_record r;
        r.id = plan.id;
        r.request_head = plan.head;
        r.connect_error = error;
        r.end = "connect_error";
        r.end_detail = error;
        recs.push_back(r);
        transcript_.add_exchange(recs.back());
        return recs;
      }
    }
    for (int i = 0; i < responses; ++i) {
      exchange_plan p = plan;
      if (i > 0) {
        p.head.clear();
        p.body.clear();
        p.id = plan.id + "#" + std::to_string(i + 1);
      }
      recs.push_back(conn->exchange(p));
      transcript_.add_exchange(recs.back());
      if (!recs.back().complete) break;
    }
    return recs;
  };
  // Expectations may name run-time values too (a deny-style matrix's `${deny.status}`).
  const auto expect = vars_.expand(step.value("expect", nlohmann::json::object()));
  const auto expect_next = vars_.expand(step.value("expect_next", nlohmann::json::array()));
  if (step.value("async", false)) {
    pending_[id] = {std::async(std::launch::async, job), expect, expect_next};
    return;
  }
  check_exchanges(job(), expect, expect_next);
}

void scenario_execution::check_exchanges(const std::vector<exchange_record>& recs, const nlohmann::json& expect,
                                         const nlohmann::json& expect_next) {
  if (recs.empty()) return;
  client_expectation::check(expect, recs[0], failures_);
  for (std::size_t i = 0; i < expect_next.size(); ++i) {
    if (i + 1 >= recs.size()) {
      fail("client[" + recs[0].id + "]: expected response #" + std::to_string(i + 2) + ", the connection ended after " +
           std::to_string(recs.size()));
      break;
    }
    client_expectation::check(expect_next[i], recs[i + 1], failures_);
  }
}

void scenario_execution::step_await(const nlohmann::json& step) {
  const auto id = step["id"].get<std::string>();
  auto it = pending_.find(id);
  if (it == pending_.end() || !it->second.records.valid()) return fail("await: no pending exchange '" + id + "'");
  auto recs = it->second.records.get();
  auto expect = it->second.expect;
  if (step.contains("expect")) expect.update(step["expect"]);
  check_exchanges(recs, expect, it->second.expect_next);
}

void scenario_execution::step_openclaw(const nlohmann::json& step) {
  const auto id = step.value("id", "openclaw");
  auto options_json = vars_.expand(step.value("options", nlohmann::json::object()));
  auto options = fakes::openclaw::options_from_json(options_json);
  transcript_.add("openclaw", "turn '" + id + "' with " + options_json.dump());
  auto result = fakes::openclaw::run_turn(options);
  auto j = fakes::openclaw::to_json(result, false);
  transcript_.add("openclaw", "result: " + j.dump());
  if (step.contains("expect")) json_match::compare(step["expect"], j, "openclaw[" + id + "]", failures_);
}

void scenario_execution::step_run(const nlohmann::json& step) {
  if (!settings_.bridge.ours()) {
    not_observed("run: another bridge has no subcommands");
    return;
  }
  std::vector<std::string> args;
  for (const auto& a : step.value("args", std::vector<std::string>{})) args.push_back(vars_.expand(a));
  // A private HOME: `configure` must never touch the real ~/.openclaw.
  std::vector<std::pair<std::string, std::string>> env = {{"HOME", dir_.string()}};
  const auto step_env = vars_.expand(step.value("env", nlohmann::json::object()));
  for (const auto& [k, v] : step_env.items())
    env.emplace_back(k, v.get<std::string>());
  std::string line = "model-runner-bridge";
  for (const auto& a : args) line += " " + a;
  transcript_.add("run", line);
  auto r = bridge_->run(args, env, bounded(std::chrono::milliseconds(step.value("deadline_ms", 5000))));
  transcript_.add("run", "exit " + (r.exit_code ? std::to_string(*r.exit_code) : std::string("(none: timed out)")) +
                             "\nstdout:\n" + r.out + "stderr:\n" + r.err);
  const auto id = step.value("id", "run");
  if (!r.exit_code) return fail(id + ": did not exit in time");
  if (step.contains("expect_exit")) json_match::compare(step["expect_exit"], *r.exit_code, id + " exit code", failures_);
  for (const char* k : {"stdout_contains", "stderr_contains"}) {
    if (!step.contains(k)) continue;
    const auto& text = std::string(k) == "stdout_contains" ? r.out : r.err;
    for (const auto& s : step[k].is_string() ? std::vector<std::string>{step[k].get<std::string>()}
                                             : step[k].get<std::vector<std::string>>())
      if (text.find(s) == std::string::npos) fail(id + ": expected " + k + " " + nlohmann::json(s).dump());
  }
}

std::vector<std::string> scenario_execution::poll_once(const nlohmann::json& step) {
  std::vector<std::string> f;
  for (const char* name : {"model_runner", "proxy"}) {
    if (!step.contains(name)) continue;
    auto* h = hop(name);
    if (!h) {
      f.push_back(std::string(name) + " is not in the topology");
      continue;
    }
    auto e = step[name];
    e.erase("disconnect_within_ms");
    if (hop_expectation::uses_requests(e) && !h->observes("requests")) continue;
    if (hop_expectation::uses_network_log(e) && !h->observes("network_log")) continue;
    hop_expectation::check(name, vars_.expand(e), h->requests(), h->network_log(), f);
  }
  if (step.contains("bridge_log") && settings_.bridge.ours()) {
    const auto e = vars_.expand(step["bridge_log"]);
    const auto lines = bridge_->access_lines();
    nlohmann::json arr(lines);
    if (e.contains("count")) json_match::compare(e["count"], lines.size(), "bridge access log count", f);
    if (e.contains("last")) {
      if (lines.empty()) f.push_back("bridge access log: expected a line, none yet");
      else json_match::compare(e["last"], lines.back(), "bridge access log (last)", f);
    }
    if (e.contains("each"))
      for (std::size_t i = 0; i < lines.size(); ++i)
        json_match::compare(e["each"], lines[i], "bridge access log #" + std::to_string(i), f);
    if (e.contains("any")) {
      bool found = false;
      for (const auto& l : lines) found = found || json_match::matches(e["any"], l);
      if (!found) f.push_back("bridge access log: no line matches " + e["any"].dump());
    }
    if (e.contains("none"))
      for (const auto& l : lines)
        if (json_match::matches(e["none"], l)) f.push_back("bridge access log: unexpected line " + l.dump());
  }
  if (step.contains("file")) {
    const auto e = vars_.expand(step["file"]);
    const fs::path p = dir_ / e["path"].get<std::string>();
    const bool exists = fs::exists(p);
    if (e.contains("exists") && e["exists"].get<bool>() != exists)
      f.push_back("file " + p.string() + (exists ? " exists" : " does not exist"));
    if (exists) {
      const auto text = read_file(p);
      for (const char* k : {"contains", "not_contains"}) {
        if (!e.contains(k)) continue;
        for (const auto& s : e[k].is_string() ? std::vector<std::string>{e[k].get<std::string>()}
                                              : e[k].get<std::vector<std::string>>()) {
          const bool has = text.find(s) != std::string::npos;
          if (has != (std::string(k) == "contains"))
            f.push_back("file " + e["path"].get<std::string>() + ": expected " + k + " " + nlohmann::json(s).dump());
        }
      }
      if (e.contains("json5")) {
        auto parsed = fakes::openclaw::json5_reader(text).read();
        if (!parsed) f.push_back("file " + e["path"].get<std::string>() + " is not valid JSON5: " + parsed.error->message);
        else json_match::compare(e["json5"], parsed.value, "file " + e["path"].get<std::string>(), f);
      }
      if (e.contains("mode")) {
        auto perms = static_cast<unsigned>(fs::status(p).permissions()) & 0777u;
        char b[8];
        std::snprintf(b, sizeof b, "%04o", perms);
        if (e["mode"].get<std::string>() != b) f.push_back("file mode " + std::string(b) + ", expected " + e["mode"].get<std::string>());
      }
    } else if (e.contains("contains") || e.contains("json5")) {
      f.push_back("file " + p.string() + " does not exist");
    }
  }
  return f;
}

void scenario_execution::step_expect(const nlohmann::json& step) {
  const auto within = bounded(std::chrono::milliseconds(step.value("within_ms", 2000)));
  for (const char* name : {"model_runner", "proxy"}) {
    if (!step.contains(name)) continue;
    hop_expectation::validate(step[name]);
    auto* h = hop(name);
    if (!h) continue;  // reported by poll_once
    if (hop_expectation::uses_requests(step[name]) && !h->observes("requests"))
      not_observed(std::string(name) + " requests (this implementation does not record request heads)");
    if (hop_expectation::uses_network_log(step[name]) && !h->observes("network_log"))
      not_observed(std::string(name) + " network log");
    if (step[name].contains("disconnect_within_ms")) {
      if (!h->observes("disconnect")) {
        not_observed(std::string(name) + " disconnects");
      } else {
        auto ms = bounded(std::chrono::milliseconds(step[name]["disconnect_within_ms"].get<int>()));
        if (auto r = h->wait_for_disconnect(ms); !r)
          fail(std::string(name) + ": expected to see the client disconnect within " + std::to_string(ms.count()) +
               " ms: " + r.message());
      }
    }
  }
  if (step.contains("bridge_log") && !settings_.bridge.ours()) not_observed("bridge access log (not model-runner-bridge)");
  if (step.contains("bridge")) {
    const auto& b = step["bridge"];
    if (b.contains("exit_code")) {
      auto code = bridge_->wait_exit(within);
      if (!code) fail("bridge: expected it to exit within " + std::to_string(within.count()) + " ms, it is still running");
      else json_match::compare(b["exit_code"], *code, "bridge exit code", failures_);
    }
    if (b.contains("running")) {
      const bool running = !bridge_->exit_status();
      if (running != b["running"].get<bool>()) fail(std::string("bridge: expected it ") + (running ? "to have exited" : "to be running"));
    }
  }
  // Recorders fill in asynchronously (an access-log line is written after the response):
  // poll until everything holds or the step's deadline passes.
  const auto until = clock_type::now() + within;
  std::vector<std::string> f;
  for (;;) {
    f = poll_once(step);
    if (f.empty() || clock_type::now() >= until) break;
    std::this_thread::sleep_for(20ms);
  }
  for (const auto& x : f) fail(x);
}

}  // namespace mrb::scenarios
