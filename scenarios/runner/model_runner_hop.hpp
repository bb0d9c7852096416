#pragma once

#include "component_hop.hpp"

#include <memory>

namespace fakes::model_runner {
class fake_model_runner;
}

namespace mrb::scenarios {

/// The fake Model Runner in-process. The scenario's `model_runner` section goes unchanged
/// (placeholders expanded, port forced to 0) to fakes::model_runner::options_from_json.
/// `set` takes `{"faults": <fault JSON>}` (fake_model_runner::set_fault; null clears).
class model_runner_hop : public component_hop {
public:
  model_runner_hop();
  ~model_runner_hop() override;

  void start(const nlohmann::json& options) override;
  std::uint16_t port() const override { return port_; }
  void stop() override;
  bool running() const override { return running_; }
  void set(const nlohmann::json& options) override;
  nlohmann::json requests() const override;
  testing::AssertionResult wait_for_disconnect(std::chrono::milliseconds timeout) override;
  std::string describe() const override;

private:
  std::unique_ptr<fakes::model_runner::fake_model_runner> fake_;
  nlohmann::json options_;
  std::uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace mrb::scenarios
