#include "core/header_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

namespace http = boost::beast::http;
using verdict = mrb::header_policy::target_verdict;

mrb::bridge_config config(bool with_auth = false)
{
    mrb::bridge_config c;
    c.proxy = mrb::proxy_endpoint{"127.0.0.1", 3128, with_auth ? "Basic dTpw" : "", "http://127.0.0.1:3128"};
    return c;
}

std::size_t count(const http::fields& f, http::field name)
{
    const auto r = f.equal_range(name);
    return static_cast<std::size_t>(std::distance(r.first, r.second));
}

TEST(header_policy, origin_form_is_accepted)
{
    mrb::header_policy p(config());
    std::string origin;
    EXPECT_EQ(p.check_target(http::verb::post, "/engines/v1/chat/completions?x=1", origin), verdict::ok);
    EXPECT_EQ(origin, "/engines/v1/chat/completions?x=1");
}

TEST(header_policy, absolute_form_for_the_target_is_accepted)
{
    mrb::header_policy p(config());
    std::string origin;
    EXPECT_EQ(p.check_target(http::verb::get, "http://localhost:12434/v1/models?a=b", origin), verdict::ok);
    EXPECT_EQ(origin, "/v1/models?a=b");
    EXPECT_EQ(p.check_target(http::verb::get, "http://LOCALHOST:12434", origin), verdict::ok);
    EXPECT_EQ(origin, "/");
}

TEST(header_policy, never_an_open_proxy)
{
    mrb::header_policy p(config());
    std::string origin;
    EXPECT_EQ(p.check_target(http::verb::connect, "localhost:12434", origin), verdict::connect_method);
    EXPECT_EQ(p.check_target(http::verb::connect, "example.com:443", origin), verdict::connect_method);
    EXPECT_EQ(p.check_target(http::verb::get, "http://example.com/", origin), verdict::foreign_target);
    EXPECT_EQ(p.check_target(http::verb::get, "http://localhost:12435/", origin), verdict::foreign_target);
    EXPECT_EQ(p.check_target(http::verb::get, "http://localhost/", origin), verdict::foreign_target);
    EXPECT_EQ(p.check_target(http::verb::get, "https://localhost:12434/", origin), verdict::foreign_target);
    EXPECT_EQ(p.check_target(http::verb::get, "http://u@localhost:12434/", origin), verdict::foreign_target);
    EXPECT_EQ(p.check_target(http::verb::options, "*", origin), verdict::bad_target);
    EXPECT_EQ(p.check_target(http::verb::get, "v1/models", origin), verdict::bad_target);
}

// Found by the request-pipeline fuzz target and the differential check: Boost.URL 1.81 parses
// `http://host:port<junk>` with the junk as a rootless path, which went upstream as the target.
TEST(header_policy, junk_after_the_port_of_an_absolute_target_is_refused)
{
    mrb::header_policy p(config());
    for (const char* t : {"/v1/\x82models", "/\xda\xdax", "http://localhost:12434/\xf8", "http://localhost:12434abc", "http://localhost:12434.evil.com/x", "http://localhost:12434+mo=1",
                          "http://localhost:12434x/y", "http:v1/models"})
    {
        std::string origin;
        EXPECT_EQ(p.check_target(http::verb::get, t, origin), verdict::bad_target) << t << " -> " << origin;
    }
}

TEST(header_policy, request_rewrite)
{
    mrb::header_policy p(config(true));
    http::request_header<> h;
    h.method(http::verb::post);
    h.target("/v1/chat/completions?q=1");
    h.version(11);
    h.insert(http::field::host, "127.0.0.1:54321");
    h.insert(http::field::connection, "keep-alive, X-Foo");
    h.insert("X-Foo", "1");
    h.insert(http::field::keep_alive, "timeout=5");
    h.insert(http::field::proxy_connection, "keep-alive");
    h.insert(http::field::te, "trailers");
    h.insert(http::field::trailer, "X-T");
    h.insert(http::field::upgrade, "h2c");
    h.insert(http::field::http2_settings, "AAA");
    h.insert(http::field::proxy_authorization, "Basic Y2xpZW50OnNlY3JldA==");
    h.insert(http::field::authorization, "Bearer not-needed");
    h.insert(http::field::content_length, "12");
    h.insert("X-Other", "kept as is");
    h.insert(http::field::expect, "100-continue");

    p.rewrite_request(h, "/v1/chat/completions?q=1");
    EXPECT_EQ(h.target(), "http://localhost:12434/v1/chat/completions?q=1");
    EXPECT_EQ(h[http::field::host], "localhost:12434");
    EXPECT_EQ(count(h, http::field::host), 1u);
    for (auto f : {http::field::connection, http::field::keep_alive, http::field::proxy_connection, http::field::te,
                   http::field::trailer, http::field::upgrade, http::field::http2_settings, http::field::expect})
        EXPECT_EQ(count(h, f), 0u) << f;
    EXPECT_EQ(h.count("X-Foo"), 0u);
    // Ours replaces the client's.
    EXPECT_EQ(count(h, http::field::proxy_authorization), 1u);
    EXPECT_EQ(h[http::field::proxy_authorization], "Basic dTpw");
    EXPECT_EQ(h[http::field::authorization], "Bearer not-needed");
    EXPECT_EQ(h[http::field::content_length], "12");
    EXPECT_EQ(h["X-Other"], "kept as is");
    EXPECT_EQ(count(h, http::field::via), 1u);
    EXPECT_EQ(h[http::field::via], "1.1 model-runner-bridge");
}

TEST(header_policy, client_proxy_authorization_is_dropped_without_ours)
{
    mrb::header_policy p(config(false));
    http::request_header<> h;
    h.method(http::verb::get);
    h.version(11);
    h.insert(http::field::proxy_authorization, "Basic c2VjcmV0");
    p.rewrite_request(h, "/");
    EXPECT_EQ(count(h, http::field::proxy_authorization), 0u);
}

TEST(header_policy, every_connection_header_and_every_copy_of_a_named_field_goes)
{
    mrb::header_policy p(config());
    http::request_header<> h;
    h.method(http::verb::post);
    h.version(11);
    h.insert("X-A", "1");
    h.insert(http::field::connection, "x-a");
    h.insert("x-a", "2");
    h.insert("X-B", "3");
    h.insert(http::field::connection, " X-B ,, keep-alive");
    h.insert(http::field::keep_alive, "timeout=5");
    h.insert("X-C", "stays");
    p.rewrite_request(h, "/");
    EXPECT_EQ(h.count("X-A"), 0u);
    EXPECT_EQ(h.count("X-B"), 0u);
    EXPECT_EQ(count(h, http::field::connection), 0u);
    EXPECT_EQ(count(h, http::field::keep_alive), 0u);
    EXPECT_EQ(h["X-C"], "stays");
}

TEST(header_policy, connection_cannot_remove_framing_or_host)
{
    mrb::header_policy p(config());
    http::request_header<> h;
    h.method(http::verb::post);
    h.version(11);
    h.insert(http::field::connection, "content-length, transfer-encoding, host");
    h.insert(http::field::content_length, "3");
    p.rewrite_request(h, "/");
    EXPECT_EQ(h[http::field::content_length], "3");
    EXPECT_EQ(h[http::field::host], "localhost:12434");
}

TEST(header_policy, existing_via_is_appended_to)
{
    mrb::header_policy p(config());
    http::request_header<> h;
    h.method(http::verb::get);
    h.version(11);
    h.insert(http::field::via, "1.0 fred");
    h.insert(http::field::via, "1.1 other");
    p.rewrite_request(h, "/");
    EXPECT_EQ(count(h, http::field::via), 1u);
    EXPECT_EQ(h[http::field::via], "1.0 fred, 1.1 other, 1.1 model-runner-bridge");
}

TEST(header_policy, direct_mode_uses_origin_form_and_no_proxy_credentials)
{
    auto c = config(true);
    c.direct = true;
    mrb::header_policy p(c);
    http::request_header<> h;
    h.method(http::verb::get);
    h.version(11);
    p.rewrite_request(h, "/v1/models");
    EXPECT_EQ(h.target(), "/v1/models");
    EXPECT_EQ(count(h, http::field::proxy_authorization), 0u);
}

// What the setup commands use to address their own requests: the same target form, Host and
// credentials as a relayed request, and nothing an intermediary would add.
TEST(header_policy, address_request_sets_target_host_and_credentials_only)
{
    mrb::header_policy p(config(true));
    http::request_header<> h;
    h.method(http::verb::get);
    h.version(11);
    h.set(http::field::user_agent, "model-runner-bridge-setup");
    p.address_request(h, "/engines/v1/models");
    EXPECT_EQ(h.target(), "http://localhost:12434/engines/v1/models");
    EXPECT_EQ(h[http::field::host], "localhost:12434");
    EXPECT_EQ(h[http::field::proxy_authorization], "Basic dTpw");
    EXPECT_EQ(h[http::field::user_agent], "model-runner-bridge-setup");
    EXPECT_EQ(count(h, http::field::via), 0u);

    auto direct = config(true);
    direct.direct = true;
    http::request_header<> d;
    mrb::header_policy(direct).address_request(d, "/models");
    EXPECT_EQ(d.target(), "/models");
    EXPECT_EQ(d[http::field::host], "localhost:12434");
    EXPECT_EQ(count(d, http::field::proxy_authorization), 0u);
}

TEST(header_policy, response_rewrite)
{
    mrb::header_policy p(config());
    http::response_header<> h;
    h.result(200);
    h.insert(http::field::connection, "keep-alive, X-Hop");
    h.insert("X-Hop", "1");
    h.insert(http::field::proxy_authenticate, "Basic realm=x");
    h.insert(http::field::proxy_connection, "keep-alive");
    h.insert(http::field::keep_alive, "timeout=5");
    h.insert(http::field::upgrade, "h2c");
    h.insert(http::field::transfer_encoding, "chunked");
    h.insert(http::field::content_type, "text/event-stream");
    h.insert(http::field::via, "1.1 squid");
    p.rewrite_response(h);
    for (auto f : {http::field::connection, http::field::proxy_authenticate, http::field::proxy_connection,
                   http::field::keep_alive, http::field::upgrade})
        EXPECT_EQ(count(h, f), 0u) << f;
    EXPECT_EQ(h.count("X-Hop"), 0u);
    EXPECT_EQ(h[http::field::transfer_encoding], "chunked");
    EXPECT_EQ(h[http::field::content_type], "text/event-stream");
    EXPECT_EQ(h[http::field::via], "1.1 squid, 1.1 model-runner-bridge");
}

} // namespace
