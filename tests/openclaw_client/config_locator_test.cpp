// The order in which the config file is looked for.
#include "config_locator.hpp"

#include <gtest/gtest.h>

namespace oc = fakes::openclaw;

TEST(config_locator, cli_path_wins_over_everything)
{
    oc::config_env env{"/env/c.json", "/state", "/oc-home", "/home/u"};
    auto const l = oc::config_locator::locate("/cli/openclaw.json", env);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->path, "/cli/openclaw.json");
    EXPECT_EQ(l->source, "--config");
}

TEST(config_locator, falls_through_in_openclaw_order)
{
    oc::config_env env{"/env/c.json", "/state/", "/oc-home", "/home/u"};
    EXPECT_EQ(oc::config_locator::locate(std::nullopt, env)->path, "/env/c.json");
    env.config_path.reset();
    EXPECT_EQ(oc::config_locator::locate(std::nullopt, env)->path, "/state/openclaw.json");
    env.state_dir = "";  // empty counts as unset
    auto l = oc::config_locator::locate(std::nullopt, env);
    EXPECT_EQ(l->path, "/oc-home/.openclaw/openclaw.json");
    EXPECT_EQ(l->source, "OPENCLAW_HOME");
    env.openclaw_home.reset();
    l = oc::config_locator::locate(std::string(), env);  // an empty --config is no --config
    EXPECT_EQ(l->path, "/home/u/.openclaw/openclaw.json");
    EXPECT_EQ(l->source, "HOME");
    env.home.reset();
    EXPECT_FALSE(oc::config_locator::locate(std::nullopt, env));
}

TEST(config_locator, expands_a_leading_tilde)
{
    oc::config_env env;
    env.home = "/home/u";
    env.config_path = "~/cfg/openclaw.json";
    EXPECT_EQ(oc::config_locator::locate(std::nullopt, env)->path, "/home/u/cfg/openclaw.json");
    EXPECT_EQ(oc::config_locator::locate("~", env)->path, "/home/u");
    EXPECT_EQ(oc::config_locator::locate("~other/x", env)->path, "~other/x");
    env.config_path.reset();
    env.openclaw_home = "~/oc";
    EXPECT_EQ(oc::config_locator::locate(std::nullopt, env)->path, "/home/u/oc/.openclaw/openclaw.json");
}
