#include "model_runner_hop.hpp"

#include "hop_json.hpp"

#include <fake_model_runner.hpp>

namespace mrb::scenarios {

namespace fmr = fakes::model_runner;

model_runner_hop::model_runner_hop() = default;
model_runner_hop::~model_runner_hop() { stop(); }

void model_runner_hop::start(const nlohmann::json& options) {
  options_ = options.is_null() ? nlohmann::json::object() : options;
  auto o = fmr::options_from_json(options_);
  o.host = "127.0.0.1";
  // A restart (a `start` step after `stop`) comes back on the same port, as a real one would.
  o.port = port_;
  if (fake_) {
    // Keep the old recordings readable until the new instance replaces them.
    fake_.reset();
  }
  fake_ = std::make_unique<fmr::fake_model_runner>(o);
  fake_->start();
  port_ = fake_->port();
  running_ = true;
}

void model_runner_hop::stop() {
  if (fake_) fake_->stop();
  running_ = false;
}

void model_runner_hop::set(const nlohmann::json& options) {
  if (!fake_) throw std::runtime_error("model_runner is not running");
  for (const auto& [k, v] : options.items())
    if (k != "faults") throw std::invalid_argument("model_runner set: only 'faults' can change at run time, not '" + k + "'");
  if (options.contains("faults")) {
    if (options["faults"].is_null()) fake_->clear_fault();
    else fake_->set_fault(fmr::fault_spec_from_json(options["faults"]));
  }
}

nlohmann::json model_runner_hop::requests() const {
  nlohmann::json out = nlohmann::json::array();
  if (!fake_) return out;
  for (const auto& r : fake_->requests()) {
    auto j = request_json(r.method, r.target, r.headers, static_cast<long long>(r.body.size()));
    j["connection"] = r.connection;
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (!body.is_discarded()) j["body_json"] = std::move(body);
    out.push_back(std::move(j));
  }
  return out;
}

testing::AssertionResult model_runner_hop::wait_for_disconnect(std::chrono::milliseconds timeout) {
  if (!fake_) return testing::AssertionFailure() << "model_runner not started";
  return fake_->wait_for_disconnect(timeout);
}

std::string model_runner_hop::describe() const {
  if (!fake_) return "not started";
  std::string out = "port " + std::to_string(port_) + (running_ ? "" : " (stopped)") + ", " +
                    std::to_string(fake_->connections_accepted()) + " connections accepted";
  for (const auto& r : fake_->requests()) {
    out += "\n                 received " + r.method + " " + r.target + " on connection " + std::to_string(r.connection) +
           " (" + std::to_string(r.body.size()) + " body bytes)";
    for (const auto& [k, v] : r.headers) out += "\n                   " + k + ": " + v;
  }
  for (const auto& d : fake_->disconnects())
    out += "\n                 connection " + std::to_string(d.connection) + " closed by the client" +
           (d.mid_response ? " mid-response" : "") + " after " + std::to_string(d.requests) + " request(s)";
  return out;
}

}  // namespace mrb::scenarios
