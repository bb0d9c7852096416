// Issue 10's framing defects, each reproduced against the bridge binary as an attacker (or a
// hostile proxy) would send it: one framing decision drives what goes upstream, every chunk line
// is checked as it arrives, a connection out of step is never reused, and a request that met a
// stale pooled connection is resent whole.
#include "bridge_fixture.hpp"

namespace mrb::test {
namespace {

const std::string k_post = "POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n";

// What the proxy read, split into heads and bodies by the test's own strict reader.
struct upstream_request {
    http_head head;
    std::string body;
};

std::vector<upstream_request> parse_requests(std::string bytes)
{
    std::vector<upstream_request> out;
    while (!bytes.empty()) {
        const auto end = head_end(bytes);
        if (end == std::string::npos)
            break;
        auto head = parse_head(bytes.substr(0, end));
        if (!head)
            break;
        upstream_request r{*head, {}};
        bytes.erase(0, end);
        if (head->has("Transfer-Encoding")) {
            chunked_decoder d;
            const auto used = d.feed(bytes, r.body);
            bytes.erase(0, used);
        } else if (const auto cl = head->get("Content-Length")) {
            const auto n = std::min<std::size_t>(std::stoul(*cl), bytes.size());
            r.body = bytes.substr(0, n);
            bytes.erase(0, n);
        }
        out.push_back(std::move(r));
    }
    return out;
}

// Item 1: Transfer-Encoding split over two fields. Beast framed the body by the last field and
// its serializer by the first, so the body went upstream de-chunked under a chunked head and the
// proxy read the smuggled request inside it.
TEST_F(bridge_test, transfer_encoding_split_over_two_fields_is_refused_and_smuggles_nothing)
{
    start_upstream({}, {step::read_request(), step::send(ok_response("leaked")), step::read_request(),
                           step::send(ok_response("{\"POISONED\":true}"))});
    ASSERT_TRUE(start_bridge());
    const std::string smuggled = "GET /models HTTP/1.1\r\nHost: localhost:12434\r\n\r\n";
    const std::string body = "0\r\n\r\n" + smuggled;
    for (const auto& fields : {std::string("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"),
             std::string("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"),
             std::string("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"),
             std::string("Transfer-Encoding: gzip, chunked\r\n")}) {
        auto c = client();
        ASSERT_TRUE(c.send(k_post + fields + "\r\n" + chunk(body) + k_last_chunk));
        const auto r = c.read_response(5s);
        ASSERT_TRUE(r) << fields;
        EXPECT_EQ(r->status, 400) << fields << r->body;
        EXPECT_TRUE(r->closed || c.wait_closed(2s));
    }
    EXPECT_EQ(upstream_->bytes_received(), 0u) << upstream_->connection(0).received;
}

// Item 4: RFC 9110 8.6 - a list of equal Content-Length values is forwarded as one value.
TEST_F(bridge_test, equal_content_lengths_are_forwarded_as_one_value)
{
    start_upstream({}, {step::read_request(), step::send(ok_response("ok")), step::read_request(),
                           step::send(ok_response("ok")), step::read_request(), step::send(ok_response("ok"))});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    for (const auto& fields : {std::string("Content-Length: 2, 2\r\n"),
             std::string("Content-Length: 2\r\nContent-Length: 2\r\n"), std::string("Content-Length: 002\r\n")}) {
        ASSERT_TRUE(c.send(k_post + fields + "\r\nhi"));
        const auto r = c.read_response(5s);
        ASSERT_TRUE(r) << fields;
        EXPECT_EQ(r->status, 200) << fields;
    }
    ASSERT_TRUE(upstream_->wait_for_requests(3, 5s));
    for (const auto& raw : upstream_->requests()) {
        const auto sent = parse_requests(raw);
        ASSERT_EQ(sent.size(), 1u) << raw;
        EXPECT_EQ(sent[0].head.count("Content-Length"), 1u) << raw;
        EXPECT_EQ(sent[0].head.get("Content-Length"), "2") << raw;
        EXPECT_FALSE(sent[0].head.has("Transfer-Encoding")) << raw;
        EXPECT_EQ(sent[0].body, "hi");
    }
}

// Item 5: an upstream that sends more than its Content-Length is out of step: the extra bytes
// would be read as the next response. Its connection must be closed, never pooled.
TEST_F(bridge_test, connection_with_bytes_left_over_after_a_response_is_never_reused)
{
    start_upstream({{step::read_request(), step::send(ok_response("ab") + "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"),
                        step::read_request(), step::send(ok_response("second"))}},
        {step::read_request(), step::send(ok_response("fresh"))});
    ASSERT_TRUE(start_bridge({"--threads", "1"}));
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto first = c.read_response(5s);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->body, "ab");
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto second = c.read_response(5s);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 200);
    EXPECT_EQ(second->body, "fresh") << "the out-of-step connection was reused";
    EXPECT_TRUE(upstream_->wait_for_client_close(0, 5s)) << "the out-of-step connection was kept";
    EXPECT_EQ(upstream_->connection(0).requests.size(), 1u);
}

// Item 6: a malformed chunk line that arrives after the first chunk (the head and the first
// chunk already went upstream) is answered at once, not after the 300 s idle timeout.
TEST_F(bridge_test, bad_chunk_line_arriving_late_is_answered_at_once)
{
    start_upstream({}, {step::read_request(), step::send(ok_response("leaked"))});
    ASSERT_TRUE(start_bridge());
    for (const std::string late : {"0\n\n", "0\r\n\n", "x\r\n", "5\r\nhelloX", "0\r\nContent-Length: 5\r\n\r\n"}) {
        auto c = client();
        ASSERT_TRUE(c.send(k_post + "Transfer-Encoding: chunked\r\n\r\n" + chunk("hello")));
        ASSERT_TRUE(upstream_->wait_for_received("hello", 5s));
        ASSERT_TRUE(c.send(late));
        const auto r = c.read_response(5s);
        ASSERT_TRUE(r) << "no answer to a late bad chunk line: " << late;
        EXPECT_EQ(r->status, 400) << late;
        EXPECT_TRUE(is_openai_error(*r));
        EXPECT_TRUE(r->closed || c.wait_closed(2s)) << late;
    }
    EXPECT_TRUE(upstream_->requests().empty()) << "a complete request reached the proxy";
    for (std::size_t i = 0; i < upstream_->connection_count(); ++i) {
        EXPECT_TRUE(upstream_->wait_for_client_close(i, 5s)) << "the half-sent request's connection was kept";
    }
}

// Item 6, the other way: a hostile proxy's bare-LF chunk line is caught as it arrives. The
// client sees a cut stream at once (no last chunk), not a hang until the idle timeout.
TEST_F(bridge_test, bad_chunk_line_from_upstream_cuts_the_response_at_once)
{
    start_upstream({}, {step::read_request(), step::send(sse_head() + chunk(sse_event(0))), step::delay(200ms),
                           step::send("0\n\n"), step::stall()});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->cut) << "the stream ended as if complete, or hung";
    EXPECT_EQ(r->body, sse_event(0));
    EXPECT_TRUE(has_flag(access(0), "UPE")) << access(0);
}

// A HEAD answer has no body, so a chunked one must not get a last chunk either: those five bytes
// would be read as the start of the next response on the connection.
TEST_F(bridge_test, chunked_answer_to_head_carries_no_last_chunk)
{
    start_upstream({}, {step::read_request(), step::send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
                           step::read_request(), step::send(ok_response("after"))});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(request("HEAD", "/models")));
    const auto h = c.read_response(5s, true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "after");
}

// Item 9: OpenClaw's one request is a POST. On a pooled connection the proxy closed just as it
// was reused, no response byte came back and the whole request is held: it is resent once, byte
// for byte, on a fresh connection.
TEST_F(bridge_test, post_on_a_stale_pooled_connection_is_resent_whole)
{
    start_upstream({{step::read_request(), step::send(ok_response("one")), step::read_request(), step::reset()}},
        {step::read_request(), step::send(ok_response("resent"))});
    ASSERT_TRUE(start_bridge({"--threads", "1"}));
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    ASSERT_TRUE(c.read_response(5s));
    const std::string body = std::string(30000, 'x') + "end";
    ASSERT_TRUE(c.send(k_post + "Transfer-Encoding: chunked\r\n\r\n" + chunk(body.substr(0, 10000))
        + chunk(body.substr(10000)) + k_last_chunk));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "resent");
    ASSERT_EQ(upstream_->connection_count(), 2u);
    const auto first = parse_requests(upstream_->connection(0).requests.at(1));
    const auto again = parse_requests(upstream_->connection(1).requests.at(0));
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(first[0].body, body);
    EXPECT_EQ(again[0].body, body);
    EXPECT_EQ(again[0].head.start_line, first[0].head.start_line);
    EXPECT_TRUE(access(1).value("retried", false)) << access(1);
}

// A GET pools the proxy connection, then OpenClaw's POST goes out on it; returns the answer.
std::optional<http_response> chat_on_a_pooled_connection(raw_client& c)
{
    if (!c.send(request("GET", "/models")) || !c.read_response(5s) || !c.send(chat_request()))
        return std::nullopt;
    return c.read_response(5s);
}

// Item 9's limit: a body larger than --replay-limit is not held, so it keeps the 502.
TEST_F(bridge_test, post_beyond_the_replay_limit_is_not_resent)
{
    start_upstream({{step::read_request(), step::send(ok_response("one")), step::read_request(), step::reset()}},
        {step::read_request(), step::send(ok_response("replayed"))});
    ASSERT_TRUE(start_bridge({"--threads", "1", "--replay-limit", "16"}));
    auto c = client();
    const auto r = chat_on_a_pooled_connection(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    EXPECT_TRUE(is_openai_error(*r));
    access(1);
    EXPECT_EQ(upstream_->requests().size(), 2u) << "the POST was sent twice";
}

// Once any response byte came back, the proxy acted on the request: never resent.
TEST_F(bridge_test, request_answered_in_part_is_not_resent)
{
    start_upstream({{step::read_request(), step::send(ok_response("one")), step::read_request(),
                        step::send("HTTP/1.1 200 OK\r\nContent-"), step::close()}},
        {step::read_request(), step::send(ok_response("replayed"))});
    ASSERT_TRUE(start_bridge({"--threads", "1"}));
    auto c = client();
    const auto r = chat_on_a_pooled_connection(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    access(1);
    EXPECT_EQ(upstream_->requests().size(), 2u) << "a request the proxy began to answer was sent again";
}

}  // namespace
}  // namespace mrb::test
