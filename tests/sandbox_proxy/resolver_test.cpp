#include "sandbox_proxy/resolver.hpp"

#include <gtest/gtest.h>

namespace fakes::sandbox_proxy {
namespace {

namespace ip = boost::asio::ip;

std::vector<std::string>
names(const std::vector<resolved_endpoint>& eps)
{
    std::vector<std::string> out;
    for(auto const& e : eps)
        out.push_back(e.address.to_string() + "/" + std::to_string(e.port) +
            (e.overridden ? "*" : ""));
    return out;
}

TEST(resolver, localhost_yields_both_loopbacks_in_the_chosen_order)
{
    resolver r;
    EXPECT_EQ(names(r.resolve("localhost", 12434)),
        (std::vector<std::string>{"127.0.0.1/12434", "::1/12434"}));
    r.set_localhost_order(localhost_order::ipv6_first);
    EXPECT_EQ(names(r.resolve("localhost", 12434)),
        (std::vector<std::string>{"::1/12434", "127.0.0.1/12434"}));
    EXPECT_EQ(names(r.resolve("ip6-localhost", 80)), (std::vector<std::string>{"::1/80"}));
}

TEST(resolver, literals_resolve_to_themselves_and_other_names_not_at_all)
{
    resolver r;
    EXPECT_EQ(names(r.resolve("10.1.2.3", 80)), (std::vector<std::string>{"10.1.2.3/80"}));
    EXPECT_EQ(names(r.resolve("::1", 80)), (std::vector<std::string>{"::1/80"}));
    EXPECT_TRUE(r.resolve("api.openai.com", 443).empty());
}

TEST(resolver, overrides_send_named_hosts_to_local_fakes)
{
    resolver r;
    r.add_override("API.OpenAI.com=127.0.0.1:40001");
    r.add_override("api.anthropic.com:443=127.0.0.1:40002");
    r.add_override("mirror.example=10.0.0.7");
    EXPECT_EQ(names(r.resolve("api.openai.com", 80)), (std::vector<std::string>{"127.0.0.1/40001*"}));
    EXPECT_EQ(names(r.resolve("api.anthropic.com", 443)),
        (std::vector<std::string>{"127.0.0.1/40002*"}));
    EXPECT_TRUE(r.resolve("api.anthropic.com", 80).empty()); // port-specific override only
    EXPECT_EQ(names(r.resolve("mirror.example", 8080)), (std::vector<std::string>{"10.0.0.7/8080*"}));
}

TEST(resolver, malformed_overrides_are_rejected)
{
    resolver r;
    for(auto const* bad : {"nohost", "=1.2.3.4", "a=", "a=not-an-ip:80", "a=1.2.3.4:99999"})
        EXPECT_THROW(r.add_override(bad), std::invalid_argument) << bad;
}

} // namespace
} // namespace fakes::sandbox_proxy
