#include "squid_hop.hpp"

#include "squid_instance.hpp"
#include "squid_policy.hpp"

#include <sstream>

namespace mrb::scenarios {

squid_hop::squid_hop(std::uint16_t model_port) : model_port_(model_port) {}
squid_hop::~squid_hop() { stop(); }

void squid_hop::start(const nlohmann::json& options) {
  auto policy = squid_policy::from_fake_options(options, model_port_);
  if (!policy.expressible) throw std::invalid_argument("not expressible in Squid: " + policy.why_not);
  mrb::test::squid_options o;
  o.allowed_hosts = policy.hosts;
  o.allowed_ports = policy.ports;
  o.client_idle_pconn_timeout_s = policy.client_idle_pconn_timeout_s;
  squid_ = std::make_unique<mrb::test::squid_instance>(o);
  if (auto r = squid_->start(std::chrono::seconds(15)); !r) throw std::runtime_error(std::string("squid: ") + r.message());
}

std::uint16_t squid_hop::port() const { return squid_ ? squid_->port() : 0; }
void squid_hop::stop() { squid_.reset(); }
bool squid_hop::running() const { return squid_ != nullptr; }

void squid_hop::set(const nlohmann::json&) {
  throw std::invalid_argument("run-time changes are fake-proxy only");
}

nlohmann::json squid_hop::requests() const { return nlohmann::json::array(); }

nlohmann::json squid_hop::network_log() const {
  nlohmann::json out = nlohmann::json::array();
  if (!squid_) return out;
  // squid log format: time elapsed client code/status bytes method URL ident hierarchy type
  std::istringstream in(squid_->access_log());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string time, elapsed, client, code, bytes, method, url;
    if (!(f >> time >> elapsed >> client >> code >> bytes >> method >> url)) continue;
    // Connections that never sent a request (the readiness probe) are not requests.
    if (method == "-") continue;
    out.push_back({{"method", method}, {"url", url},
                   {"action", code.find("DENIED") != std::string::npos ? "denied" : "allowed"}, {"code", code}});
  }
  return out;
}

testing::AssertionResult squid_hop::wait_for_disconnect(std::chrono::milliseconds) {
  return testing::AssertionFailure() << "not observable through Squid";
}

std::string squid_hop::describe() const {
  if (!squid_) return "not running";
  return "Squid on port " + std::to_string(squid_->port()) + "\n                 access.log:\n" + squid_->access_log();
}

bool squid_hop::observes(const std::string& what) const { return what == "network_log"; }

}  // namespace mrb::scenarios
