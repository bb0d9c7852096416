// bridge_config's derived answers: the next hop and the lingering-close deadline.
#include "core/bridge_config.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace {

mrb::bridge_config with_proxy()
{
    mrb::bridge_config c;
    c.proxy.emplace();
    c.proxy->host = "fd00::1";
    c.proxy->port = 3129;
    return c;
}

} // namespace

TEST(bridge_config, next_hop_is_the_proxy_when_one_is_set)
{
    const auto c = with_proxy();
    EXPECT_TRUE(c.via_proxy());
    EXPECT_TRUE(c.next_hop().via_proxy);
    EXPECT_EQ(c.next_hop().host, "fd00::1");
    EXPECT_EQ(c.next_hop().port, 3129);
    EXPECT_EQ(c.next_hop_authority(), "[fd00::1]:3129");
}

TEST(bridge_config, next_hop_is_the_target_when_direct_or_without_proxy)
{
    auto direct = with_proxy();
    direct.direct = true;
    mrb::bridge_config no_proxy;
    for (const auto* c : {&direct, &no_proxy})
    {
        EXPECT_FALSE(c->via_proxy());
        EXPECT_FALSE(c->next_hop().via_proxy);
        EXPECT_EQ(c->next_hop().host, "localhost");
        EXPECT_EQ(c->next_hop().port, 12434);
        EXPECT_EQ(c->next_hop_authority(), "localhost:12434");
    }
}

TEST(bridge_config, linger_timeout_is_capped_by_the_client_header_timeout)
{
    mrb::bridge_config c;
    EXPECT_EQ(c.linger_timeout(), mrb::bridge_config::linger_time);
    c.client_header_timeout = 200ms;
    EXPECT_EQ(c.linger_timeout(), 200ms);
}
