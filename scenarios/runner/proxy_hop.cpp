#include "proxy_hop.hpp"

#include "hop_json.hpp"

#include <sandbox_proxy/fake_sandbox_proxy.hpp>

#include <thread>

namespace mrb::scenarios {

namespace fsp = fakes::sandbox_proxy;

proxy_hop::proxy_hop() = default;
proxy_hop::~proxy_hop() { stop(); }

void proxy_hop::start(const nlohmann::json& options) {
  auto o = fsp::options_from_json(options.is_null() ? nlohmann::json::object() : options);
  // The scenario must not depend on the runner's environment for credentials.
  if (!options.contains("use_environment")) o.use_environment = false;
  o.port = port_;  // 0 on first start; a restart comes back on the same port
  fake_ = std::make_unique<fsp::fake_sandbox_proxy>(o);
  fake_->start();
  port_ = fake_->port();
  running_ = true;
}

void proxy_hop::stop() {
  if (fake_) fake_->stop();
  running_ = false;
}

void proxy_hop::set(const nlohmann::json& options) {
  if (!fake_) throw std::runtime_error("proxy is not running");
  for (const auto& [k, v] : options.items()) {
    if (k == "policy") fake_->set_policy(fsp::policy_from_json(v));
    else if (k == "faults") fake_->set_faults(fsp::faults_from_json(v));
    else throw std::invalid_argument("proxy set: only 'policy' and 'faults' change at run time, not '" + k + "'");
  }
}

nlohmann::json proxy_hop::requests() const {
  nlohmann::json out = nlohmann::json::array();
  if (!fake_) return out;
  for (const auto& r : fake_->requests()) {
    auto j = request_json(r.method, r.target, r.headers, static_cast<long long>(r.body_size));
    j["connection"] = r.connection;
    j["allowed"] = r.allowed;
    j["reason"] = r.reason;
    j["injected"] = r.injected;
    j["status"] = r.status;
    j["forwarded"] = r.forwarded;
    j["upstream_reused"] = r.upstream_reused;
    j["upstream_headers"] = request_json(r.method, r.upstream_target, r.upstream_headers, -1)["headers"];
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json proxy_hop::network_log() const {
  nlohmann::json out = nlohmann::json::array();
  if (!fake_) return out;
  for (const auto& e : fake_->network_log())
    out.push_back({{"method", e.method}, {"url", e.url}, {"action", e.allowed ? "allowed" : "denied"},
                   {"reason", e.reason}, {"rule", e.rule}, {"address", e.address}});
  return out;
}

testing::AssertionResult proxy_hop::wait_for_disconnect(std::chrono::milliseconds timeout) {
  if (!fake_) return testing::AssertionFailure() << "proxy not started";
  // A client (the bridge) that went away while the proxy was still relaying a response.
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (const auto& c : fake_->connections())
      if (!c.open && c.closed_by == "client") return testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return testing::AssertionFailure() << "no client connection closed by the client within " << timeout.count() << " ms";
}

std::string proxy_hop::describe() const {
  if (!fake_) return "not started";
  std::string out = "port " + std::to_string(port_) + (running_ ? "" : " (stopped)");
  for (const auto& r : fake_->requests()) {
    out += "\n                 received " + r.method + " " + r.target + " on connection " + std::to_string(r.connection) +
           ": " + (r.allowed ? "allowed" : "denied") + " (" + r.reason + (r.rule.empty() ? "" : " " + r.rule) + ")" +
           (r.injected.empty() ? "" : ", injected " + r.injected) + ", status " + std::to_string(r.status) +
           (r.error.empty() ? "" : ", error: " + r.error) + (r.upstream_reused ? ", upstream reused" : "");
    for (const auto& [k, v] : r.headers) out += "\n                   " + k + ": " + v;
  }
  for (const auto& c : fake_->connections())
    out += "\n                 connection " + std::to_string(c.id) + ": " + std::to_string(c.requests) + " request(s), " +
           (c.open ? "open" : "closed by " + c.closed_by);
  return out;
}

}  // namespace mrb::scenarios
