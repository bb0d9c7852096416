#include "core/bridge_config.hpp"
#include "core/error_reply.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

mrb::bridge_config proxied()
{
    mrb::bridge_config c;
    c.proxy = mrb::proxy_endpoint{"host.docker.internal", 3128, "", "http://host.docker.internal:3128"};
    return c;
}

nlohmann::json parse(const mrb::error_reply& r)
{
    return nlohmann::json::parse(r.body());
}

TEST(error_reply, body_is_openai_shaped)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_refused, proxied(), "Connection refused");
    const auto j = parse(r);
    ASSERT_TRUE(j.contains("error"));
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_EQ(j["error"]["type"], r.type);
    EXPECT_EQ(j["error"]["code"], r.code);
    EXPECT_EQ(j.size(), 1u);
    EXPECT_EQ(j["error"].size(), 3u);
}

TEST(error_reply, refused_names_the_proxy_address_and_the_variable)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_refused, proxied(), "Connection refused");
    EXPECT_EQ(r.status, 502u);
    EXPECT_NE(r.message.find("host.docker.internal:3128"), std::string::npos);
    EXPECT_NE(r.message.find("HTTP_PROXY"), std::string::npos);
    EXPECT_NE(r.message.find("--proxy"), std::string::npos);
}

TEST(error_reply, direct_mode_names_the_model_runner)
{
    mrb::bridge_config c;
    c.direct = true;
    const auto r = mrb::make_error_reply(mrb::failure::proxy_refused, c);
    EXPECT_NE(r.message.find("Model Runner at localhost:12434"), std::string::npos);
    EXPECT_NE(r.message.find("--tcp 12434"), std::string::npos);
}

TEST(error_reply, timeouts_are_504)
{
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_timeout, proxied()).status, 504u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_connect_timeout, proxied()).status, 504u);
    const auto r = mrb::make_error_reply(mrb::failure::proxy_timeout, proxied());
    EXPECT_NE(r.message.find("--response-header-timeout"), std::string::npos);
}

TEST(error_reply, resets_and_garbage_are_502)
{
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_reset, proxied()).status, 502u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_bad_response, proxied()).status, 502u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::proxy_unreachable, proxied()).status, 502u);
}

// Neither 403 (OpenClaw: "authentication failed", key locked) nor 5xx (90 s of retries), nor a
// status the OpenAI SDK retries (408, 409, 429).
TEST(error_reply, denial_status_is_neither_auth_nor_retried)
{
    const auto r = mrb::make_error_reply(mrb::failure::proxy_denied, proxied(), "ERR_ACCESS_DENIED 0");
    EXPECT_EQ(r.status, 421u);
    EXPECT_NE(r.status, 401u);
    EXPECT_NE(r.status, 403u);
    EXPECT_NE(r.status, 408u);
    EXPECT_NE(r.status, 409u);
    EXPECT_NE(r.status, 429u);
    EXPECT_LT(r.status, 500u);
    EXPECT_NE(r.message.find("docker sandbox network proxy <sandbox> --allow-host localhost"), std::string::npos);
    EXPECT_NE(r.message.find("ERR_ACCESS_DENIED 0"), std::string::npos);
}

TEST(error_reply, client_errors)
{
    const auto c = proxied();
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::bad_request, c).status, 400u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::header_too_large, c).status, 431u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::body_too_large, c).status, 413u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::connect_method, c).status, 405u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::foreign_target, c).status, 403u);
    EXPECT_EQ(mrb::make_error_reply(mrb::failure::overloaded, c).status, 503u);
}

TEST(error_reply, detail_with_quotes_stays_valid_json)
{
    const auto r = mrb::make_error_reply(mrb::failure::bad_request, proxied(), "bad \"x\"\n\xff");
    EXPECT_NO_THROW(parse(r));
}

TEST(error_reply, reason_phrases)
{
    EXPECT_EQ(mrb::reason_phrase(421), "Misdirected Request");
    EXPECT_EQ(mrb::reason_phrase(504), "Gateway Timeout");
}

} // namespace
