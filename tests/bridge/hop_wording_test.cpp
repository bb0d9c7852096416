#include "core/bridge_config.hpp"
#include "core/error_reply.hpp"
#include "core/hop_wording.hpp"

#include <gtest/gtest.h>

namespace {

using mrb::failure;
namespace wording = mrb::wording;

mrb::bridge_config proxied()
{
    mrb::bridge_config c;
    c.proxy = mrb::proxy_endpoint{"host.docker.internal", 3128, "", "http://host.docker.internal:3128"};
    return c;
}

mrb::bridge_config direct()
{
    auto c = proxied();
    c.direct = true;
    return c;
}

TEST(hop_wording, durations_are_whole_seconds_or_milliseconds)
{
    EXPECT_EQ(wording::duration(std::chrono::seconds(10)), "10 s");
    EXPECT_EQ(wording::duration(std::chrono::milliseconds(1500)), "1500 ms");
    EXPECT_EQ(wording::with_detail(""), "");
    EXPECT_EQ(wording::with_detail("Connection refused"), " (Connection refused)");
}

TEST(hop_wording, the_next_hop_is_the_proxy_unless_direct)
{
    EXPECT_EQ(wording::next_hop(proxied()), "the sandbox proxy at host.docker.internal:3128");
    EXPECT_EQ(wording::next_hop(direct()), "the Model Runner at localhost:12434");
    mrb::bridge_config no_proxy; // neither --direct nor a proxy: straight to the target
    EXPECT_EQ(wording::next_hop(no_proxy), "the Model Runner at localhost:12434");
}

TEST(hop_wording, connection_failures_name_the_hop_and_the_fix_follows_it)
{
    EXPECT_EQ(wording::next_hop_failure(failure::proxy_refused, proxied(), "Connection refused"),
              "the sandbox proxy at host.docker.internal:3128 refused the connection (Connection refused)");
    EXPECT_EQ(wording::next_hop_failure(failure::proxy_unreachable, direct()), "cannot reach the Model Runner at localhost:12434");
    auto slow = proxied();
    slow.connect_timeout = std::chrono::milliseconds(2500);
    EXPECT_EQ(wording::next_hop_failure(failure::proxy_connect_timeout, slow),
              "no connection to the sandbox proxy at host.docker.internal:3128 within 2500 ms (--connect-timeout)");
    EXPECT_NE(wording::address_fix(proxied()).find("HTTP_PROXY"), std::string::npos);
    EXPECT_EQ(wording::address_fix(direct()), wording::runner_port_fix(direct()));
    EXPECT_NE(wording::runner_port_fix(direct()).find("docker desktop enable model-runner --tcp 12434"), std::string::npos);
}

TEST(hop_wording, a_denial_names_the_target_and_the_allow_command)
{
    EXPECT_EQ(wording::next_hop_failure(failure::proxy_denied, proxied(), "HTTP 403"),
              "the sandbox proxy at host.docker.internal:3128 blocked the request to localhost:12434 by its network "
              "policy (HTTP 403)");
    EXPECT_EQ(wording::allow_fix(proxied()),
              "docker sandbox network proxy <sandbox> --allow-host localhost  (sbx: sbx policy allow network "
              "localhost:12434)");
}

TEST(hop_wording, failures_of_the_client_have_no_hop_sentence)
{
    for (auto f : {failure::bad_request, failure::header_too_large, failure::body_too_large, failure::connect_method,
                   failure::foreign_target, failure::overloaded, failure::proxy_timeout})
        EXPECT_EQ(wording::next_hop_failure(f, proxied()), "") << mrb::to_string(f);
}

// The bridge's own replies say the same sentences and fixes.
TEST(hop_wording, the_bridges_replies_say_the_same)
{
    for (const auto& c : {proxied(), direct()})
        for (auto f : {failure::proxy_refused, failure::proxy_unreachable, failure::proxy_connect_timeout})
        {
            const auto r = mrb::make_error_reply(f, c, "why");
            EXPECT_EQ(r.message.rfind("model-runner-bridge: " + wording::next_hop_failure(f, c, "why") + ".", 0), 0u)
                << r.message;
            EXPECT_EQ(r.fix, wording::address_fix(c));
        }
    const auto denied = mrb::make_error_reply(failure::proxy_denied, proxied(), "why");
    EXPECT_EQ(denied.message.rfind("model-runner-bridge: " + wording::next_hop_failure(failure::proxy_denied, proxied(), "why"), 0), 0u);
    EXPECT_EQ(denied.fix, wording::allow_fix(proxied()));
}

} // namespace
