#pragma once

#include "component_hop.hpp"

#include <memory>

namespace fakes::sandbox_proxy {
class fake_sandbox_proxy;
}

namespace mrb::scenarios {

/// The fake sandbox proxy in-process. The scenario's `proxy` section goes unchanged
/// (placeholders expanded, port forced to 0 on first start) to
/// fakes::sandbox_proxy::options_from_json. `set` takes `{"policy": {...}}` and/or
/// `{"faults": {...}}` in the same schema.
class proxy_hop : public component_hop {
public:
  proxy_hop();
  ~proxy_hop() override;

  void start(const nlohmann::json& options) override;
  std::uint16_t port() const override { return port_; }
  void stop() override;
  bool running() const override { return running_; }
  void set(const nlohmann::json& options) override;
  nlohmann::json requests() const override;
  nlohmann::json network_log() const override;
  testing::AssertionResult wait_for_disconnect(std::chrono::milliseconds timeout) override;
  std::string describe() const override;

private:
  std::unique_ptr<fakes::sandbox_proxy::fake_sandbox_proxy> fake_;
  std::uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace mrb::scenarios
