#include "squid_policy.hpp"

#include <gtest/gtest.h>

using mrb::scenarios::squid_policy;
using nlohmann::json;

TEST(squid_policy, deny_mode_allowlist_becomes_hosts_and_ports) {
  auto p = squid_policy::from_fake_options({{"policy", {{"mode", "deny"}, {"allow_hosts", {"localhost:4000"}}}}}, 4000);
  ASSERT_TRUE(p.expressible) << p.why_not;
  EXPECT_EQ(p.hosts, (std::vector<std::string>{"127.0.0.1", "localhost"}));
  EXPECT_EQ(p.ports, (std::vector<std::uint16_t>{4000}));
}

TEST(squid_policy, a_port_less_rule_allows_the_model_port) {
  auto p = squid_policy::from_fake_options({{"policy", {{"mode", "deny"}, {"allow_hosts", {"localhost"}}}}}, 1234);
  ASSERT_TRUE(p.expressible);
  EXPECT_EQ(p.ports, (std::vector<std::uint16_t>{1234}));
}

TEST(squid_policy, a_rule_for_another_port_denies_the_model_port) {
  auto p = squid_policy::from_fake_options({{"policy", {{"mode", "deny"}, {"allow_hosts", {"localhost:9"}}}}}, 1234);
  ASSERT_TRUE(p.expressible);
  EXPECT_EQ(p.ports, (std::vector<std::uint16_t>{9}));
}

TEST(squid_policy, fake_only_features_are_not_expressible) {
  EXPECT_FALSE(squid_policy::from_fake_options({{"policy", {{"mode", "allow"}}}}, 1).expressible);
  EXPECT_FALSE(squid_policy::from_fake_options({{"credentials", {{"OPENAI_API_KEY", "k"}}}}, 1).expressible);
  EXPECT_FALSE(squid_policy::from_fake_options({{"policy", {{"mode", "deny"}, {"allow_hosts", {"host.docker.internal"}}}}}, 1).expressible);
  EXPECT_FALSE(squid_policy::from_fake_options({{"policy", {{"mode", "deny"}, {"allow_hosts", {"a:1", "b:2"}}}}}, 1).expressible);
  EXPECT_FALSE(squid_policy::from_fake_options({{"faults", {{"refuse", "close_on_accept"}}}}, 1).expressible);
}

TEST(squid_policy, idle_close_maps_to_client_idle_pconn_timeout) {
  auto p = squid_policy::from_fake_options(
      {{"policy", {{"mode", "deny"}, {"allow_hosts", {"localhost"}}}}, {"faults", {{"idle_close_ms", 300}}}}, 1);
  ASSERT_TRUE(p.expressible) << p.why_not;
  EXPECT_EQ(p.client_idle_pconn_timeout_s, 1);
}
