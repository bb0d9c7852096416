#pragma once

#include "component_hop.hpp"

#include <memory>

namespace mrb::test {
class squid_instance;
}

namespace mrb::scenarios {

/// Real Squid in place of the fake proxy (`--proxy real-squid`), configured from the
/// scenario's policy through squid_policy. It observes its access log only: request heads and
/// disconnects at the proxy are not observable, and expectations on them are reported n.a.
class squid_hop : public component_hop {
public:
  explicit squid_hop(std::uint16_t model_port);
  ~squid_hop() override;

  void start(const nlohmann::json& options) override;
  std::uint16_t port() const override;
  void stop() override;
  bool running() const override;
  void set(const nlohmann::json& options) override;
  nlohmann::json requests() const override;
  nlohmann::json network_log() const override;
  testing::AssertionResult wait_for_disconnect(std::chrono::milliseconds timeout) override;
  std::string describe() const override;
  bool observes(const std::string& what) const override;

private:
  std::uint16_t model_port_;
  std::unique_ptr<mrb::test::squid_instance> squid_;
};

}  // namespace mrb::scenarios
