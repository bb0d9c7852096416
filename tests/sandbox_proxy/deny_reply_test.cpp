#include "sandbox_proxy/deny_reply.hpp"

#include <gtest/gtest.h>

namespace fakes::sandbox_proxy {
namespace {

verdict
denied(const char* host, std::uint16_t port, verdict_reason reason, const char* rule = "")
{
    verdict v;
    v.allowed = false;
    v.host = host;
    v.port = port;
    v.reason = reason;
    v.rule = rule;
    return v;
}

// sbx-releases #611: curl https://example.com through a default-deny proxy.
TEST(deny_reply, sbx_403_default_deny_bytes)
{
    auto v = denied("example.com", 443, verdict_reason::default_deny);
    std::string const body =
        "Blocked by network policy: domain example.com:443\n"
        "  detail: no matching allow rule - blocked by default deny policy\n";
    EXPECT_EQ(deny_body(deny_style::sbx_403, v, ""), body);
    EXPECT_EQ(deny_reply(deny_style::sbx_403, v, ""),
        "HTTP/1.1 403 Forbidden\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Length: " + std::to_string(body.size()) + "\r\n"
        "\r\n" + body);
}

// sbx-releases #59: a plain-HTTP request to a denied ip:port; Content-Length 56 there.
TEST(deny_reply, go_500_bytes_match_the_observed_length)
{
    auto v = denied("172.17.0.1", 1234, verdict_reason::blocked_cidr, "172.16.0.0/12");
    auto const reply = deny_reply(deny_style::go_500, v, "172.17.0.1:1234");
    EXPECT_EQ(reply,
        "HTTP/1.1 500 Internal Server Error\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Length: 56\r\n"
        "\r\n"
        "connection to 172.17.0.1:1234 blocked by network policy\n");
}

TEST(deny_reply, go_500_names_the_resolved_address_or_the_host)
{
    auto v = denied("localhost", 12434, verdict_reason::blocked_cidr, "::1/128");
    EXPECT_EQ(deny_body(deny_style::go_500, v, "[::1]:12434"),
        "connection to [::1]:12434 blocked by network policy\n");
    auto h = denied("example.com", 80, verdict_reason::block_rule, "example.com");
    EXPECT_EQ(deny_body(deny_style::go_500, h, ""),
        "connection to example.com:80 blocked by network policy\n");
}

TEST(deny_reply, sbx_403_rule_and_cidr_details)
{
    auto rule = denied("www.example.com", 443, verdict_reason::block_rule, "*.example.com");
    EXPECT_EQ(deny_body(deny_style::sbx_403, rule, ""),
        "Blocked by network policy: domain www.example.com:443\n"
        "  rule: \"*.example.com\" (domain, deny)\n"
        "  detail: matched block rule *.example.com\n");
    auto cidr = denied("localhost", 12434, verdict_reason::blocked_cidr, "127.0.0.0/8");
    EXPECT_EQ(deny_body(deny_style::sbx_403, cidr, "127.0.0.1:12434"),
        "Blocked by network policy: domain localhost:12434\n"
        "  detail: resolved address 127.0.0.1:12434 is in blocked range 127.0.0.0/8\n");
}

TEST(deny_reply, other_500_and_close_shapes)
{
    auto v = denied("localhost", 12434, verdict_reason::blocked_cidr, "127.0.0.0/8");
    EXPECT_EQ(deny_reply(deny_style::other_500, v, "127.0.0.1:12434"),
        "HTTP/1.1 500 Internal Server Error\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Length: 22\r\n"
        "\r\n"
        "Internal Server Error\n");
    EXPECT_EQ(deny_reply(deny_style::close, v, "127.0.0.1:12434"), "");
    EXPECT_EQ(deny_status(deny_style::sbx_403), 403);
    EXPECT_EQ(deny_status(deny_style::go_500), 500);
    EXPECT_EQ(deny_status(deny_style::other_500), 500);
    EXPECT_EQ(deny_status(deny_style::close), 0);
}

TEST(deny_reply, style_names_round_trip)
{
    for(auto style : all_deny_styles)
        EXPECT_EQ(parse_deny_style(to_string(style)), style);
    EXPECT_EQ(parse_deny_style("500_other"), deny_style::other_500);
    EXPECT_EQ(parse_deny_style("403"), deny_style::sbx_403);
    EXPECT_THROW(parse_deny_style("404"), std::invalid_argument);
}

TEST(deny_reply, date_header_when_given)
{
    auto v = denied("example.com", 443, verdict_reason::default_deny);
    auto const reply = deny_reply(deny_style::sbx_403, v, "", "Fri, 27 Nov 2026 03:00:00 GMT");
    EXPECT_NE(reply.find("\r\nDate: Fri, 27 Nov 2026 03:00:00 GMT\r\nContent-Length: "),
        std::string::npos);
}

TEST(deny_reply, style_names)
{
    EXPECT_EQ(parse_deny_style("403"), deny_style::sbx_403);
    EXPECT_EQ(parse_deny_style("sbx"), deny_style::sbx_403);
    EXPECT_EQ(parse_deny_style("500"), deny_style::go_500);
    EXPECT_EQ(parse_deny_style("go_500"), deny_style::go_500);
    EXPECT_THROW(parse_deny_style("404"), std::invalid_argument);
}

} // namespace
} // namespace fakes::sandbox_proxy
