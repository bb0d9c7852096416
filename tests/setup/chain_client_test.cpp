// The setup commands word a hop failure as the bridge's own replies do (before, they had their own
// copies of the fixes, which had drifted: "run this inside the Docker sandbox, or point --proxy /
// HTTP_PROXY at ...", "check --target (...)", "(on the host; sbx: ...)"). Socket-free: describe()
// only words.
#include "bridge/core/bridge_config.hpp"
#include "bridge/core/error_reply.hpp"
#include "bridge/setup/chain_client.hpp"

#include <gtest/gtest.h>

namespace {

using mrb::failure;
using mrb::setup::hop_problem;

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

// The bridge's reply starts with the prefix and setup's message, and has the same fix.
void expect_same(const mrb::setup::hop_failure& f, const mrb::error_reply& r)
{
    EXPECT_EQ(r.message.rfind("model-runner-bridge: " + f.message, 0), 0u) << r.message << "\n" << f.message;
    EXPECT_EQ(f.fix, r.fix);
}

TEST(chain_client, connection_failures_are_worded_as_the_bridge_words_them)
{
    const std::pair<hop_problem, failure> same[] = {{hop_problem::proxy_refused, failure::proxy_refused},
                                                    {hop_problem::proxy_unreachable, failure::proxy_unreachable},
                                                    {hop_problem::proxy_connect_timeout, failure::proxy_connect_timeout}};
    for (const auto& c : {proxied(), direct()})
        for (const auto& [problem, what] : same)
        {
            const auto f = mrb::setup::chain_client(c).describe(problem, "Connection refused");
            EXPECT_EQ(f.problem, problem);
            expect_same(f, mrb::make_error_reply(what, c, "Connection refused"));
        }
}

TEST(chain_client, a_denial_is_worded_as_the_bridge_words_it)
{
    const auto f = mrb::setup::chain_client(proxied()).describe(hop_problem::proxy_denied, "HTTP 403");
    expect_same(f, mrb::make_error_reply(failure::proxy_denied, proxied(), "HTTP 403"));
    EXPECT_EQ(f.fix.rfind("docker sandbox network proxy <sandbox> --allow-host localhost", 0), 0u) << f.fix;
}

TEST(chain_client, a_silent_model_runner_gets_the_bridges_fix_for_its_port)
{
    // The bridge, direct, says how to open the Model Runner's port when it refuses.
    const auto fix = mrb::make_error_reply(failure::proxy_refused, direct()).fix;
    for (const auto& c : {proxied(), direct()})
    {
        const auto f = mrb::setup::chain_client(c).describe(hop_problem::runner_unreachable, "HTTP 502");
        EXPECT_EQ(f.fix, fix);
        EXPECT_NE(f.message.find("the Model Runner at localhost:12434"), std::string::npos) << f.message;
    }
}

} // namespace
