#pragma once

#include "exchange_record.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace mrb::scenarios {

/// Every hop's observations in time order, printed when a scenario fails so the cause is
/// visible without a debugger. Thread-safe: async requests add lines from their threads.
class transcript {
public:
  transcript() : t0_(std::chrono::steady_clock::now()) {}

  void add(const std::string& hop, const std::string& text);
  /// The client's view of one exchange: request head, response head, body bytes and timing.
  void add_exchange(const exchange_record& rec);

  std::string str() const;
  double now_ms() const;

private:
  std::chrono::steady_clock::time_point t0_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace mrb::scenarios
