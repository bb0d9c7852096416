#include "core/denial.hpp"

#include <gtest/gtest.h>

namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

TEST(denial, docker_sbx_403_blocked_by_network_policy)
{
    const auto d = mrb::recognise_denial(
        403, "Forbidden", {{"Content-Type", "text/plain; charset=utf-8"}},
        "Blocked by network policy: domain localhost:12434\n  detail: no matching allow rule - blocked by default deny policy\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, "docker");
    EXPECT_EQ(d->detail, "Blocked by network policy: domain localhost:12434");
}

TEST(denial, docker_sbx_local_rule_and_org_policy)
{
    EXPECT_TRUE(mrb::recognise_denial(403, "Forbidden", {}, "Blocked by local rule for localhost"));
    EXPECT_TRUE(mrb::recognise_denial(403, "Forbidden", {}, "Blocked by org policy"));
}

TEST(denial, docker_legacy_500_text)
{
    const auto d = mrb::recognise_denial(500, "Internal Server Error",
                                         {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Length", "56"}},
                                         "connection to 127.0.0.1:12434 blocked by network policy\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, "docker-legacy");
    EXPECT_EQ(d->detail, "connection to 127.0.0.1:12434 blocked by network policy");
}

TEST(denial, squid_access_denied)
{
    const auto d = mrb::recognise_denial(403, "Forbidden",
                                         {{"Server", "squid/5.7"}, {"X-Squid-Error", "ERR_ACCESS_DENIED 0"}},
                                         "<!DOCTYPE html><html><head><title>ERROR</title>");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, "squid");
    EXPECT_EQ(d->detail, "ERR_ACCESS_DENIED 0");
}

TEST(denial, squid_header_name_is_case_insensitive)
{
    EXPECT_TRUE(mrb::recognise_denial(403, "Forbidden", {{"x-squid-error", "err_access_denied 0"}}, ""));
}

TEST(denial, squid_connect_failure_is_not_a_policy_denial)
{
    EXPECT_FALSE(mrb::recognise_denial(403, "Forbidden", {{"X-Squid-Error", "ERR_CONNECT_FAIL 111"}}, "<html>"));
    EXPECT_FALSE(mrb::recognise_denial(503, "Service Unavailable", {{"X-Squid-Error", "ERR_CONNECT_FAIL 111"}}, ""));
}

TEST(denial, tinyproxy_filtered)
{
    const auto d = mrb::recognise_denial(403, "Filtered", {{"Content-Type", "text/html"}, {"Connection", "close"}},
                                         "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, "tinyproxy");
}

// The Model Runner's own answers must never be mistaken for a denial: they are relayed as is.
TEST(denial, model_runner_errors_are_not_denials)
{
    EXPECT_FALSE(mrb::recognise_denial(403, "Forbidden", {{"Content-Type", "text/plain; charset=utf-8"}},
                                       "Origin not allowed\n"));
    EXPECT_FALSE(mrb::recognise_denial(500, "Internal Server Error", {},
                                       "unable to load runner: inference backend took too long to initialize\n"));
    EXPECT_FALSE(mrb::recognise_denial(404, "Not Found", {}, "Blocked by network policy"));
    EXPECT_FALSE(mrb::recognise_denial(200, "OK", {}, "Blocked by network policy"));
    EXPECT_FALSE(mrb::recognise_denial(403, "Forbidden", {},
                                       R"({"error":{"code":403,"message":"x","type":"permission_error"}})"));
}

// A proxied 500 that is neither a known denial nor a known Model Runner answer (the older proxy's
// denial body is not on record): a likely denial, flagged as not certain, the text kept.
TEST(denial, unrecognised_500_is_a_likely_denial)
{
    const auto d = mrb::recognise_denial(500, "Internal Server Error",
                                         {{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}},
                                         "Internal Server Error\n");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, "unrecognised-500");
    EXPECT_FALSE(d->certain);
    EXPECT_EQ(d->detail, "not recognised for certain: 500 \"Internal Server Error\"");
    const auto html = mrb::recognise_denial(500, "Internal Server Error", {{"Content-Type", "text/html"}},
                                            "<html><body>denied</body></html>");
    ASSERT_TRUE(html);
    EXPECT_FALSE(html->certain);
    // The recognised shapes stay certain.
    const auto legacy = mrb::recognise_denial(500, "Internal Server Error", {},
                                              "connection to 127.0.0.1:12434 blocked by network policy\n");
    ASSERT_TRUE(legacy);
    EXPECT_TRUE(legacy->certain);
}

TEST(denial, model_runner_500s_are_relayed_not_guessed)
{
    for (const char* body : {"unable to load runner: inference backend quit unexpectedly\n", "model unavailable\n",
                             "Connection error\n", "",
                             R"({"type":"error","code":null,"message":"boom","param":null,"sequence_number":1})",
                             R"({"error":{"code":500,"message":"boom","type":"server_error"}})"})
        EXPECT_FALSE(mrb::recognise_denial(500, "Internal Server Error", {{"Content-Type", "text/plain; charset=utf-8"}}, body))
            << body;
    EXPECT_FALSE(mrb::recognise_denial(500, "Internal Server Error", {{"Content-Type", "application/json"}}, "[1]"));
}

TEST(denial, detail_is_sanitised_to_one_printable_line)
{
    const std::string body = std::string("Blocked by network policy: \x01\x7f") + std::string(400, 'x') + "\nsecond";
    const auto d = mrb::recognise_denial(403, "Forbidden", {}, body);
    ASSERT_TRUE(d);
    EXPECT_LE(d->detail.size(), 200u);
    EXPECT_EQ(d->detail.find('\n'), std::string::npos);
    EXPECT_EQ(d->detail.find('\x01'), std::string::npos);
}

TEST(denial, may_be_denial_statuses)
{
    EXPECT_TRUE(mrb::may_be_denial(403));
    EXPECT_TRUE(mrb::may_be_denial(500));
    EXPECT_TRUE(mrb::may_be_denial(407));
    EXPECT_FALSE(mrb::may_be_denial(200));
    EXPECT_FALSE(mrb::may_be_denial(502));
}

// A 407 is the proxy refusing the bridge's login (wrong or missing credentials in --proxy): the
// bridge answers it as proxy_auth_refused, never relays a 407 that the client would not understand.
TEST(denial, a_407_is_a_refused_login)
{
    const auto squid = mrb::recognise_denial(407, "Proxy Authentication Required",
                                             {{"X-Squid-Error", "ERR_CACHE_ACCESS_DENIED 0"}}, "<html>...");
    ASSERT_TRUE(squid);
    EXPECT_TRUE(squid->login_refused);
    EXPECT_TRUE(squid->certain);
    EXPECT_EQ(squid->kind, "proxy-auth");
    EXPECT_EQ(squid->detail, "407 ERR_CACHE_ACCESS_DENIED 0");
    const auto plain = mrb::recognise_denial(407, "Proxy Authentication Required", {}, "");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->detail, "407 Proxy Authentication Required");
    const auto long_reason = mrb::recognise_denial(407, std::string(500, 'r'), {}, "");
    ASSERT_TRUE(long_reason);
    EXPECT_LE(long_reason->detail.size(), 200u);
    EXPECT_FALSE(mrb::recognise_denial(403, "Forbidden", {}, "Blocked by network policy")->login_refused);
}

} // namespace
