#include "squid_policy.hpp"

#include <algorithm>
#include <set>

namespace mrb::scenarios {

namespace {

squid_policy not_expressible(std::string why) {
  squid_policy p;
  p.expressible = false;
  p.why_not = std::move(why);
  return p;
}

}  // namespace

squid_policy squid_policy::from_fake_options(const nlohmann::json& proxy, std::uint16_t model_port) {
  // Keys that only describe the fake's own behaviour Squid cannot reproduce.
  static const std::set<std::string> ignorable = {"port", "policy", "deny_style", "sandbox_name", "network_log",
                                                  "use_environment", "connect_timeout_ms"};
  int idle_s = 0;
  for (const auto& [k, v] : proxy.items()) {
    if (k == "faults") {
      // Squid's own idle keep-alive close is the one proxy fault it can play (whole seconds).
      for (const auto& [fk, fv] : v.items()) {
        if (fk != "idle_close_ms") return not_expressible("fake-proxy fault '" + fk + "' has no Squid equivalent");
        idle_s = std::max(1, (fv.get<int>() + 999) / 1000);
      }
      continue;
    }
    if (!ignorable.count(k)) return not_expressible("fake-proxy feature '" + k + "' has no Squid equivalent");
  }
  const auto policy = proxy.value("policy", nlohmann::json::object());
  if (policy.value("mode", "allow") != "deny")
    return not_expressible("policy mode allow relies on the sandbox's CIDR blocks, which Squid does not have");
  for (const char* k : {"block_hosts", "block_cidrs", "allow_cidrs", "bypass_hosts", "bypass_cidrs"})
    if (policy.contains(k) && !policy[k].empty())
      return not_expressible(std::string("policy.") + k + " has no Squid equivalent in the generated allowlist");
  squid_policy out;
  std::set<std::uint16_t> port_set;
  std::set<std::string> host_set;
  std::optional<std::set<std::uint16_t>> common;
  for (const auto& rule : policy.value("allow_hosts", std::vector<std::string>{})) {
    std::string host = rule;
    std::uint16_t port = model_port;
    // host:port, but not a bare IPv6 literal.
    if (auto colon = rule.rfind(':'); colon != std::string::npos && rule.find(':') == colon) {
      host = rule.substr(0, colon);
      port = static_cast<std::uint16_t>(std::stoul(rule.substr(colon + 1)));
    }
    if (host == "*") return not_expressible("catch-all rules have no Squid dstdomain equivalent");
    if (host.rfind("*.", 0) == 0) host = host.substr(1);  // Squid's ".example.com" (also matches the apex)
    if (host == "host.docker.internal")
      return not_expressible("the sandbox proxy's host.docker.internal rewrite has no Squid equivalent");
    host_set.insert(host);
    if (host == "localhost") host_set.insert("127.0.0.1");
    // One host ACL x one port ACL: rules with different ports would leak into each other.
    std::set<std::uint16_t> mine = {port};
    if (common && *common != mine)
      return not_expressible("rules with different ports cannot share one Squid host x port ACL");
    common = mine;
    port_set.insert(port);
  }
  if (host_set.empty()) {
    // Deny everything: an ACL that matches nothing routable.
    host_set.insert("nothing.invalid");
    port_set.insert(1);
  }
  out.client_idle_pconn_timeout_s = idle_s;
  out.hosts.assign(host_set.begin(), host_set.end());
  out.ports.assign(port_set.begin(), port_set.end());
  return out;
}

}  // namespace mrb::scenarios
