#include "core/proxy_url.hpp"

#include <gtest/gtest.h>

#include <map>

namespace {

mrb::env_lookup fake_env(std::map<std::string, std::string> vars)
{
    return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end())
            return std::nullopt;
        return it->second;
    };
}

TEST(proxy_url, choice_order_flag_then_upper_then_lower_then_default)
{
    const auto both = fake_env({{"HTTP_PROXY", "http://upper:1"}, {"http_proxy", "http://lower:2"}});
    EXPECT_EQ(mrb::choose_proxy_url(std::string("http://flag:3"), both), "http://flag:3");
    EXPECT_EQ(mrb::choose_proxy_url(std::nullopt, both), "http://upper:1");
    EXPECT_EQ(mrb::choose_proxy_url(std::nullopt, fake_env({{"http_proxy", "http://lower:2"}})), "http://lower:2");
    EXPECT_EQ(mrb::choose_proxy_url(std::nullopt, fake_env({})), "http://host.docker.internal:3128");
}

TEST(proxy_url, empty_values_count_as_unset)
{
    EXPECT_EQ(mrb::choose_proxy_url(std::string(""), fake_env({{"HTTP_PROXY", ""}, {"http_proxy", "http://l:2"}})),
              "http://l:2");
}

// Sandboxes put localhost in NO_PROXY; obeying it would send the target "direct" to the VM itself.
TEST(proxy_url, no_proxy_is_ignored)
{
    const auto env = fake_env({{"HTTP_PROXY", "http://p:3128"}, {"NO_PROXY", "localhost,127.0.0.1"},
                               {"no_proxy", "*"}});
    EXPECT_EQ(mrb::choose_proxy_url(std::nullopt, env), "http://p:3128");
}

TEST(proxy_url, parse_plain)
{
    const auto p = mrb::parse_proxy_url("http://host.docker.internal:3128");
    EXPECT_EQ(p.host, "host.docker.internal");
    EXPECT_EQ(p.port, 3128);
    EXPECT_TRUE(p.authorization.empty());
    EXPECT_EQ(p.display, "http://host.docker.internal:3128");
}

TEST(proxy_url, parse_defaults_and_forms)
{
    EXPECT_EQ(mrb::parse_proxy_url("http://proxy").port, 3128);
    EXPECT_EQ(mrb::parse_proxy_url("http://proxy/").host, "proxy");
    EXPECT_EQ(mrb::parse_proxy_url("127.0.0.1:8080").port, 8080);
    const auto v6 = mrb::parse_proxy_url("http://[::1]:3128");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.display, "http://[::1]:3128");
}

TEST(proxy_url, userinfo_becomes_basic_and_is_redacted)
{
    const auto p = mrb::parse_proxy_url("http://user:pa%40ss@proxy:3128");
    EXPECT_EQ(p.authorization, "Basic dXNlcjpwYUBzcw=="); // base64("user:pa@ss")
    EXPECT_EQ(p.display, "http://user:***@proxy:3128");
    EXPECT_EQ(p.display.find("pa"), std::string::npos);
    EXPECT_EQ(mrb::parse_proxy_url("http://user@proxy:1").authorization, "Basic dXNlcjo="); // "user:"
}

TEST(proxy_url, rejects)
{
    for (const char* bad : {"https://proxy:3128", "socks5://proxy:1080", "http://proxy:99999", "http://proxy:0",
                            "http://proxy:3128/path", "http://:3128", "http://proxy:abc", "http://proxy:3128?x=1"})
        EXPECT_THROW(mrb::parse_proxy_url(bad), std::invalid_argument) << bad;
}

// Issue 10 item 3: a URL that fails to parse must not carry its password into the usage error.
TEST(proxy_url, error_messages_never_show_the_password)
{
    for (const char* bad : {"http://user:S3cretPw@host:99999", "https://user:S3cretPw@host:3128",
                            "http://user:S3cretPw@ho st:3128", "http://user:S3cretPw@:3128",
                            "user:S3cretPw@host:99999", "http://user:S3cretPw@host:3128/path",
                            "http://user:S3cretPw@host:3128?q=1", "http://user:S3c/retPw@host:99999",
                            "http://user:S3c@retPw@host:0", "socks5://user:S3cretPw@host:1080"})
    {
        try
        {
            mrb::parse_proxy_url(bad);
            ADD_FAILURE() << bad << " was accepted";
        }
        catch (const std::invalid_argument& e)
        {
            const std::string message = e.what();
            EXPECT_EQ(message.find("S3c"), std::string::npos) << message;
            EXPECT_EQ(message.find("retPw"), std::string::npos) << message;
            EXPECT_NE(message.find("user:***@"), std::string::npos) << message; // still recognisable
        }
    }
}

TEST(proxy_url, redaction_keeps_the_rest_of_the_url)
{
    EXPECT_EQ(mrb::redact_proxy_url("http://user:pw@host:99999"), "http://user:***@host:99999");
    EXPECT_EQ(mrb::redact_proxy_url("user:pw@host:1"), "user:***@host:1");
    EXPECT_EQ(mrb::redact_proxy_url("http://u:p@w@host:1"), "http://u:***@host:1");
    EXPECT_EQ(mrb::redact_proxy_url("http://host:99999"), "http://host:99999");
    EXPECT_EQ(mrb::redact_proxy_url("http://user@host:1"), "http://user@host:1"); // no password
    EXPECT_EQ(mrb::redact_proxy_url("http://host:1/a:b@c"), "http://host:***@c"); // over-hiding is fine
}

TEST(proxy_url, choice_names_its_source)
{
    const auto both = fake_env({{"HTTP_PROXY", "http://upper:1"}, {"http_proxy", "http://lower:2"}});
    EXPECT_EQ(mrb::choose_proxy(std::string("http://flag:3"), both).source, "--proxy");
    EXPECT_EQ(mrb::choose_proxy(std::nullopt, both).source, "HTTP_PROXY");
    EXPECT_EQ(mrb::choose_proxy(std::nullopt, fake_env({{"http_proxy", "http://lower:2"}})).source, "http_proxy");
    EXPECT_EQ(mrb::choose_proxy(std::nullopt, fake_env({})).source, "default");
    EXPECT_EQ(mrb::choose_proxy(std::nullopt, fake_env({{"HTTP_PROXY", "http://upper:1"}})).url, "http://upper:1");
}

TEST(host_port, forms)
{
    auto a = mrb::parse_host_port("127.0.0.1:54321", std::nullopt, false);
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 54321);
    auto b = mrb::parse_host_port("localhost", 12434, false);
    EXPECT_EQ(b.port, 12434);
    auto c = mrb::parse_host_port("[::1]:80", std::nullopt, false);
    EXPECT_EQ(c.host, "::1");
    EXPECT_EQ(mrb::parse_host_port("127.0.0.1:0", std::nullopt, true).port, 0);
    EXPECT_THROW(mrb::parse_host_port("127.0.0.1:0", std::nullopt, false), std::invalid_argument);
    EXPECT_THROW(mrb::parse_host_port("host", std::nullopt, false), std::invalid_argument);
    EXPECT_THROW(mrb::parse_host_port("user@host:1", std::nullopt, false), std::invalid_argument);
    EXPECT_THROW(mrb::parse_host_port("", 1, false), std::invalid_argument);
    EXPECT_THROW(mrb::parse_host_port("host:70000", std::nullopt, false), std::invalid_argument);
}

TEST(host_port, loopback)
{
    EXPECT_TRUE(mrb::is_loopback_host("127.0.0.1"));
    EXPECT_TRUE(mrb::is_loopback_host("127.1.2.3"));
    EXPECT_TRUE(mrb::is_loopback_host("::1"));
    EXPECT_TRUE(mrb::is_loopback_host("localhost"));
    EXPECT_FALSE(mrb::is_loopback_host("0.0.0.0"));
    EXPECT_FALSE(mrb::is_loopback_host("192.168.1.2"));
    EXPECT_FALSE(mrb::is_loopback_host("::"));
}

TEST(bridge_config, defaults_tolerate_model_load)
{
    mrb::bridge_config c;
    EXPECT_GE(c.response_header_timeout, std::chrono::seconds(300));
    EXPECT_EQ(c.listen_host, "127.0.0.1");
    EXPECT_EQ(c.listen_port, 54321);
    EXPECT_EQ(c.target_authority(), "localhost:12434");
}

} // namespace
