#include "sandbox_proxy/request_rewrite.hpp"

#include <gtest/gtest.h>

namespace fakes::sandbox_proxy {
namespace {

client_request_head
req(std::string method, std::string target, header_list headers, unsigned version = 11)
{
    return {std::move(method), std::move(target), version, std::move(headers)};
}

TEST(request_rewrite, absolute_form_becomes_origin_form_with_host_from_the_target)
{
    auto r = rewrite_request(req("POST",
        "http://localhost:12434/engines/v1/chat/completions?x=1",
        {{"Host", "localhost:12434"}, {"Content-Type", "application/json"},
            {"Content-Length", "12"}, {"Proxy-Connection", "keep-alive"},
            {"Proxy-Authorization", "Basic dTpw"}, {"Accept", "text/event-stream"}}));
    ASSERT_TRUE(r.head) << r.error;
    auto const& h = *r.head;
    EXPECT_FALSE(h.is_connect);
    EXPECT_EQ(h.host, "localhost");
    EXPECT_EQ(h.port, 12434);
    EXPECT_EQ(h.target, "/engines/v1/chat/completions?x=1");
    EXPECT_EQ(h.url, "http://localhost:12434/engines/v1/chat/completions?x=1");
    EXPECT_TRUE(h.has_body);
    EXPECT_FALSE(h.host_replaced);
    EXPECT_EQ(h.headers, (header_list{{"Host", "localhost:12434"},
        {"Content-Type", "application/json"}, {"Accept", "text/event-stream"}}));
}

TEST(request_rewrite, default_port_and_empty_path)
{
    auto r = rewrite_request(req("GET", "http://Example.COM", {{"Host", "example.com"}}));
    ASSERT_TRUE(r.head) << r.error;
    EXPECT_EQ(r.head->host, "example.com");
    EXPECT_EQ(r.head->port, 80);
    EXPECT_EQ(r.head->target, "/");
    EXPECT_EQ(r.head->authority, "Example.COM");
    EXPECT_FALSE(r.head->host_replaced);
}

// RFC 9112 §3.2.2: the Host of an absolute-form request is ignored and replaced.
TEST(request_rewrite, differing_host_is_replaced_by_the_target_authority)
{
    auto r = rewrite_request(req("GET", "http://localhost:12434/models",
        {{"Accept", "*/*"}, {"Host", "evil.example:80"}}));
    ASSERT_TRUE(r.head) << r.error;
    EXPECT_TRUE(r.head->host_replaced);
    EXPECT_EQ(r.head->headers, (header_list{{"Host", "localhost:12434"}, {"Accept", "*/*"}}));
    auto port_only = rewrite_request(req("GET", "http://localhost:12434/", {{"Host", "localhost"}}));
    ASSERT_TRUE(port_only.head);
    EXPECT_TRUE(port_only.head->host_replaced);
}

TEST(request_rewrite, host_rules_of_rfc_9112_section_3_2)
{
    EXPECT_EQ(rewrite_request(req("GET", "http://a/", {})).status, 400u);
    EXPECT_TRUE(rewrite_request(req("GET", "http://a/", {}, 10)).head); // HTTP/1.0 may omit it
    EXPECT_EQ(rewrite_request(req("GET", "http://a/", {{"Host", "a"}, {"host", "a"}})).status, 400u);
    EXPECT_EQ(rewrite_request(req("GET", "http://a/", {{"Host", "u@a"}})).status, 400u);
    EXPECT_EQ(rewrite_request(req("GET", "http://a/", {{"Host", "a b"}})).status, 400u);
    EXPECT_EQ(rewrite_request(req("GET", "http://a/", {{"Host", ""}})).status, 400u);
}

TEST(request_rewrite, targets_a_forward_proxy_refuses)
{
    for(auto const* target : {"/models", "*", "https://api.openai.com/v1/models",
            "http://user:pw@a/", "http:///x", "http://a/#frag", "ftp://a/", "http://a:0/",
            "http://a:99999/"})
    {
        auto r = rewrite_request(req("GET", target, {{"Host", "a"}}));
        EXPECT_FALSE(r.head) << target;
        EXPECT_EQ(r.status, 400u) << target;
    }
}

TEST(request_rewrite, ambiguous_framing_is_refused)
{
    auto bad = [](header_list h, unsigned version = 11) {
        h.insert(h.begin(), {"Host", "a"});
        auto r = rewrite_request(req("POST", "http://a/", h, version));
        return !r.head && r.status == 400;
    };
    EXPECT_TRUE(bad({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}));
    EXPECT_TRUE(bad({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}));
    EXPECT_TRUE(bad({{"Content-Length", "5"}, {"Content-Length", "6"}}));
    EXPECT_TRUE(bad({{"Content-Length", "5, 6"}}));
    EXPECT_TRUE(bad({{"Content-Length", "+5"}}));
    EXPECT_TRUE(bad({{"Content-Length", "0x5"}}));
    EXPECT_TRUE(bad({{"Transfer-Encoding", "gzip"}}));
    EXPECT_TRUE(bad({{"Transfer-Encoding", "chunked, gzip"}}));
    EXPECT_TRUE(bad({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}));
    EXPECT_TRUE(bad({{"Transfer-Encoding", "chunked"}}, 10));
    EXPECT_FALSE(bad({{"Content-Length", "5, 5"}}));
    EXPECT_FALSE(bad({{"Transfer-Encoding", "Chunked"}}));
    auto zero = rewrite_request(req("POST", "http://a/", {{"Host", "a"}, {"Content-Length", "0"}}));
    ASSERT_TRUE(zero.head);
    EXPECT_FALSE(zero.head->has_body);
}

TEST(request_rewrite, hop_by_hop_fields_and_connection_tokens_are_removed)
{
    auto out = end_to_end_fields({{"Connection", "close, X-Foo"}, {"X-Foo", "1"},
        {"Keep-Alive", "timeout=5"}, {"TE", "trailers"}, {"Upgrade", "h2c"},
        {"Trailer", "x"}, {"X-Bar", "2"}, {"Transfer-Encoding", "chunked"}});
    EXPECT_EQ(out, (header_list{{"X-Bar", "2"}}));
}

TEST(request_rewrite, connect_needs_host_and_port)
{
    auto r = rewrite_request(req("CONNECT", "api.openai.com:443", {{"Host", "api.openai.com:443"}}));
    ASSERT_TRUE(r.head) << r.error;
    EXPECT_TRUE(r.head->is_connect);
    EXPECT_EQ(r.head->host, "api.openai.com");
    EXPECT_EQ(r.head->port, 443);
    auto v6 = rewrite_request(req("CONNECT", "[::1]:8443", {{"Host", "[::1]:8443"}}));
    ASSERT_TRUE(v6.head);
    EXPECT_EQ(v6.head->host, "::1");
    EXPECT_EQ(rewrite_request(req("CONNECT", "api.openai.com", {{"Host", "a"}})).status, 400u);
    EXPECT_EQ(rewrite_request(req("CONNECT", "http://a:443/", {{"Host", "a"}})).status, 400u);
}

TEST(request_rewrite, rewritten_destination_updates_host)
{
    auto r = rewrite_request(req("GET", "http://host.docker.internal:12434/models",
        {{"Host", "host.docker.internal:12434"}}));
    ASSERT_TRUE(r.head);
    rewrite_destination(*r.head, "localhost");
    EXPECT_EQ(r.head->authority, "localhost:12434");
    EXPECT_EQ(r.head->headers.front(), (std::pair<std::string, std::string>{"Host", "localhost:12434"}));
    auto bare = rewrite_request(req("GET", "http://host.docker.internal/", {{"Host", "x"}}));
    ASSERT_TRUE(bare.head);
    rewrite_destination(*bare.head, "localhost");
    EXPECT_EQ(bare.head->authority, "localhost");
}

} // namespace
} // namespace fakes::sandbox_proxy
