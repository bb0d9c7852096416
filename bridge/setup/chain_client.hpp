#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mrb {
struct bridge_config;
}

namespace mrb::setup {

/// Which hop of sandbox -> proxy -> Model Runner failed. `models`, `configure` and `doctor` all
/// describe a failure through hop_failure so they say the same thing the same way.
enum class hop_problem {
  proxy_unreachable,      ///< the proxy's name does not resolve or its network is unreachable
  proxy_refused,          ///< nothing listens at the proxy address
  proxy_connect_timeout,  ///< no TCP connection to the proxy in time
  proxy_denied,           ///< the proxy's policy blocked the Model Runner's address
  runner_unreachable,     ///< the Model Runner does not answer (behind the proxy, or direct)
  timeout,                ///< connected, but no complete answer in time
  bad_answer,             ///< an answer that is not the Model Runner's (status or shape)
};

struct hop_failure {
  hop_problem problem = hop_problem::bad_answer;
  std::string message;  ///< what is wrong, naming the hop
  std::string fix;      ///< the command or setting that fixes it
};

/// An answer that came back through the chain.
struct chain_response {
  unsigned status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::microseconds elapsed{0};  ///< from sending the request to the last body byte

  const std::string* header(const std::string& name) const;
};

/// A small synchronous HTTP/1.1 client that asks the Model Runner the way the bridge does:
/// through the configured proxy in absolute-form (Host = target, Proxy-Authorization when the
/// proxy URL had credentials) or straight to the target with --direct. Every step has a deadline.
class chain_client {
public:
  explicit chain_client(const bridge_config& config);

  /// Sends one request on a fresh connection. nullopt + `failure` when no HTTP answer came back.
  std::optional<chain_response> request(const std::string& method, const std::string& path, const std::string& body,
                                        std::chrono::milliseconds timeout, hop_failure& failure) const;

  /// The failure an answer stands for, if any: a proxy policy denial, the proxy's own gateway
  /// error because the Model Runner is not reachable behind it, or any other non-2xx status.
  std::optional<hop_failure> classify(const chain_response& response) const;

  /// request() + classify(): a 2xx answer, or a failure.
  std::optional<chain_response> fetch(const std::string& method, const std::string& path, const std::string& body,
                                      std::chrono::milliseconds timeout, hop_failure& failure) const;

  /// Only opens a TCP connection to the next hop (doctor's "proxy reachable").
  bool connect_only(hop_failure& failure) const;

  /// Building blocks of the shared wording.
  hop_failure describe(hop_problem problem, const std::string& detail) const;

private:
  const bridge_config& config_;
};

}  // namespace mrb::setup
