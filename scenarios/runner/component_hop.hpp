#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace mrb::scenarios {

/// A component the runner starts in-process (a fake) or as a child (Squid), seen through one
/// JSON-shaped interface so hop expectations are checked the same way for every implementation.
///
/// `requests()` returns one object per request the component received, normalised to
/// `{"method", "target", "path", "headers": {lower-case name: value}, "header_list": [[k, v]],
///   "body_size"}` (fields the component cannot know are left out).
class component_hop {
public:
  virtual ~component_hop() = default;

  /// Starts on an ephemeral loopback port with the scenario's section (placeholders expanded).
  /// Throws on bad options (start-up).
  virtual void start(const nlohmann::json& options) = 0;
  virtual std::uint16_t port() const = 0;
  virtual void stop() = 0;
  virtual bool running() const = 0;
  /// Changes options at run time (a `set` step: faults, replies, policy).
  virtual void set(const nlohmann::json& options) = 0;

  virtual nlohmann::json requests() const = 0;
  /// The proxy's network log `[{"method","url","action":"allowed|denied"}]`; empty elsewhere.
  virtual nlohmann::json network_log() const { return nlohmann::json::array(); }
  /// The component saw the client side of a request go away (a cancelled generation).
  virtual testing::AssertionResult wait_for_disconnect(std::chrono::milliseconds timeout) = 0;
  /// Free text for the transcript (what it saw, its log).
  virtual std::string describe() const = 0;
  /// True for expectations this implementation cannot observe (reported as n.a., not passed).
  virtual bool observes(const std::string& what) const { return true; }
};

}  // namespace mrb::scenarios
