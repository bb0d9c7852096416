// Never an open proxy, never a smuggling relay: what the bridge refuses before anything
// reaches the proxy (docs/bridge.md, "Request framing the bridge refuses"), and its size limits.
#include "bridge_fixture.hpp"

namespace mrb::test {
namespace {

class refused_request : public bridge_test {
protected:
    void SetUp() override
    {
        // Anything that does get through is answered, so a leak shows as a 200, not a hang.
        start_upstream({}, {step::read_request(), step::send(ok_response("leaked"))});
        ASSERT_TRUE(start_bridge());
    }

    /// Sends `bytes`; the answer must have `status` (or any 4xx if 0), and the proxy must have
    /// received nothing by the time the access line is written. Returns the response.
    std::optional<http_response> expect_refused(const std::string& bytes, int status, bool expect_close)
    {
        auto c = client();
        EXPECT_TRUE(c.send(bytes));
        auto r = c.read_response(5s);
        EXPECT_TRUE(r) << "no answer";
        if (!r)
            return r;
        if (status != 0) {
            EXPECT_EQ(r->status, status) << r->body;
        } else {
            EXPECT_TRUE(r->status >= 400 && r->status < 500) << r->status;
        }
        if (expect_close) {
            EXPECT_TRUE(r->closed || c.wait_closed(2s)) << "connection left open after a framing error";
        }
        access(0);
        EXPECT_EQ(upstream_->bytes_received(), 0u) << "sent upstream: " << upstream_->connection(0).received;
        return r;
    }
};

TEST_F(refused_request, connect_is_refused_and_nothing_reaches_the_proxy)
{
    const auto r = expect_refused("CONNECT localhost:12434 HTTP/1.1\r\nHost: localhost:12434\r\n\r\n", 0, false);
    ASSERT_TRUE(r);
    EXPECT_TRUE(is_openai_error(*r));
    EXPECT_TRUE(has_flag(bridge_->access_log().at(0), "RJ"));
}

TEST_F(refused_request, foreign_absolute_form_is_refused_and_nothing_reaches_the_proxy)
{
    const auto r = expect_refused("GET http://metadata.example:80/latest HTTP/1.1\r\nHost: metadata.example\r\n\r\n", 0, false);
    ASSERT_TRUE(r);
    EXPECT_TRUE(has_flag(bridge_->access_log().at(0), "RJ"));
}

TEST_F(refused_request, absolute_form_with_another_port_of_the_target_host_is_refused)
{
    expect_refused("GET http://localhost:22/ HTTP/1.1\r\nHost: localhost:22\r\n\r\n", 0, false);
}

TEST_F(bridge_test, absolute_form_naming_the_target_itself_is_relayed)
{
    start_upstream({{step::read_request(), step::send(ok_response("ok"))}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send("GET http://" + k_target + "/models HTTP/1.1\r\nHost: " + k_target + "\r\n\r\n"));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(upstream_->wait_for_requests(1, 5s));
    EXPECT_EQ(upstream_->requests()[0].rfind("GET http://" + k_target + "/models HTTP/1.1\r\n", 0), 0u);
}

TEST_F(refused_request, oversized_headers_get_431)
{
    expect_refused(request("GET", "/models", "X-Big: " + std::string(64 * 1024, 'a') + "\r\n"), 431, true);
    EXPECT_TRUE(has_flag(bridge_->access_log().at(0), "DPE"));
}

TEST_F(refused_request, oversized_declared_body_gets_413)
{
    expect_refused("POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000000\r\n\r\n{",
        413, true);
    EXPECT_TRUE(has_flag(bridge_->access_log().at(0), "DPE"));
}

TEST_F(bridge_test, oversized_chunked_body_gets_413_when_nothing_was_answered_yet)
{
    // The upstream reads the head and waits for the whole body; the limit trips first.
    start_upstream({{step::read_request(), step::send(ok_response())}});
    ASSERT_TRUE(start_bridge({"--max-body-bytes", "1000"}));
    auto c = client();
    ASSERT_TRUE(c.send("POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunk(std::string(800, 'a')) + chunk(std::string(800, 'b')) + k_last_chunk));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(r->closed || c.wait_closed(2s));
    // The proxy never gets a complete request: its side is closed, not finished cleanly.
    EXPECT_EQ(upstream_->requests().size(), 0u);
}

struct smuggle_case {
    const char* name;
    std::string bytes;
};

class smuggling_vector : public refused_request, public testing::WithParamInterface<smuggle_case> {};

TEST_P(smuggling_vector, gets_400_and_close_and_nothing_reaches_the_proxy)
{
    expect_refused(GetParam().bytes, 400, true);
    const auto log = bridge_->access_log();
    ASSERT_FALSE(log.empty());
    EXPECT_TRUE(has_flag(log[0], "DPE")) << log[0];
}

void PrintTo(const smuggle_case& c, std::ostream* os)
{
    *os << c.name;
}

const std::string k_post = "POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n";

std::string post(const std::string& fields, const std::string& body)
{
    return k_post + fields + "\r\n" + body;
}

const std::string k_chunked_hello = "5\r\nhello\r\n0\r\n\r\n";

INSTANTIATE_TEST_SUITE_P(bridge, smuggling_vector,
    testing::Values(
        // 1. Content-Length and Transfer-Encoding together, both orders.
        smuggle_case{"cl_then_te", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", k_chunked_hello)},
        smuggle_case{"te_then_cl", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", k_chunked_hello)},
        // 2. Differing Content-Length values.
        smuggle_case{"two_differing_cl", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!")},
        smuggle_case{"cl_list_differing", post("Content-Length: 5, 6\r\n", "hello!")},
        // 3. Content-Length that is not 1*DIGIT.
        smuggle_case{"cl_plus", post("Content-Length: +5\r\n", "hello")},
        smuggle_case{"cl_minus", post("Content-Length: -1\r\n", "hello")},
        smuggle_case{"cl_hex", post("Content-Length: 0x5\r\n", "hello")},
        smuggle_case{"cl_underscore", post("Content-Length: 5_0\r\n", "hello")},
        // 4. Transfer-Encoding other than a final "chunked".
        smuggle_case{"te_chunked_gzip", post("Transfer-Encoding: chunked, gzip\r\n", k_chunked_hello)},
        smuggle_case{"te_gzip", post("Transfer-Encoding: gzip\r\n", "hello")},
        smuggle_case{"te_identity", post("Transfer-Encoding: identity\r\n", "hello")},
        smuggle_case{"te_xchunked", post("Transfer-Encoding: xchunked\r\n", k_chunked_hello)},
        smuggle_case{"te_chunked_twice", post("Transfer-Encoding: chunked, chunked\r\n", k_chunked_hello)},
        smuggle_case{"te_two_fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", k_chunked_hello)},
        smuggle_case{"te_obs_fold", post("Transfer-Encoding:\r\n chunked\r\n", k_chunked_hello)},
        smuggle_case{"te_control_byte", post("Transfer-Encoding: \x0b" "chunked\r\n", k_chunked_hello)},
        // 5. HTTP/1.0 with chunked.
        smuggle_case{"http10_chunked",
            "POST /engines/v1/chat/completions HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + k_chunked_hello},
        // 8. Malformed field lines.
        smuggle_case{"bare_cr_in_value", post("X-A: a\rb\r\nContent-Length: 0\r\n", "")},
        smuggle_case{"nul_in_value", post(std::string("X-A: a\0b\r\nContent-Length: 0\r\n", 29), "")},
        smuggle_case{"space_before_colon", post("Content-Length : 5\r\n", "hello")},
        smuggle_case{"empty_field_name", post(": x\r\nContent-Length: 0\r\n", "")},
        smuggle_case{"line_without_colon", post("X-A b\r\nContent-Length: 0\r\n", "")},
        smuggle_case{"whitespace_before_first_field",
            "GET /models HTTP/1.1\r\n X-A: b\r\nHost: 127.0.0.1\r\n\r\n"},
        smuggle_case{"obs_fold_in_value", post("X-A: a\r\n b\r\nContent-Length: 0\r\n", "")},
        // 9. Host problems.
        smuggle_case{"duplicate_host", "GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"},
        smuggle_case{"missing_host_http11", "GET /models HTTP/1.1\r\nAccept: */*\r\n\r\n"},
        smuggle_case{"host_with_userinfo", "GET /models HTTP/1.1\r\nHost: user@127.0.0.1\r\n\r\n"},
        smuggle_case{"host_with_path", "GET /models HTTP/1.1\r\nHost: 127.0.0.1/x\r\n\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// C5 item 6: bad chunk framing in the body. A streaming relay may already have passed the head
// (and valid chunks before the bad one) to the proxy; what must hold is that the client gets
// 400 and a close, the proxy never sees a complete request, and its connection is dropped.
class bad_chunk : public refused_request, public testing::WithParamInterface<smuggle_case> {};

TEST_P(bad_chunk, gets_400_and_close_and_the_proxy_never_gets_a_complete_request)
{
    auto c = client();
    ASSERT_TRUE(c.send(GetParam().bytes));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, 400);
    EXPECT_TRUE(r->closed || c.wait_closed(2s));
    const auto entry = access(0);
    EXPECT_TRUE(has_flag(entry, "DPE")) << entry;
    EXPECT_TRUE(upstream_->requests().empty()) << upstream_->requests()[0];
    if (upstream_->connection_count() > 0) {
        EXPECT_TRUE(upstream_->wait_for_client_close(0, 2s)) << "the half-sent request's connection was kept";
    }
}

INSTANTIATE_TEST_SUITE_P(bridge, bad_chunk,
    testing::Values(
        smuggle_case{"chunk_size_0x", post("Transfer-Encoding: chunked\r\n", "0x5\r\nhello\r\n0\r\n\r\n")},
        smuggle_case{"chunk_size_plus", post("Transfer-Encoding: chunked\r\n", "+5\r\nhello\r\n0\r\n\r\n")},
        smuggle_case{"chunk_size_underscore", post("Transfer-Encoding: chunked\r\n", "5_0\r\nhello\r\n0\r\n\r\n")},
        smuggle_case{"chunk_size_overflow", post("Transfer-Encoding: chunked\r\n", "10000000000000005\r\nhello\r\n0\r\n\r\n")},
        smuggle_case{"chunk_bare_lf", post("Transfer-Encoding: chunked\r\n", "5\nhello\n0\n\n")},
        smuggle_case{"chunk_missing_crlf_after_data", post("Transfer-Encoding: chunked\r\n", "5\r\nhelloX0\r\n\r\n")}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(bridge_test, trailers_never_act_as_framing_upstream)
{
    // C5 item 7: Content-Length / Transfer-Encoding / Host in the trailer section. Refusing is
    // fine; forwarding is fine only if the proxy cannot read them as framing or routing.
    start_upstream({}, {step::read_request(), step::send(ok_response())});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(post("Transfer-Encoding: chunked\r\n",
        "5\r\nhello\r\n0\r\nContent-Length: 50\r\nTransfer-Encoding: gzip\r\nHost: evil.example\r\n\r\n")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    access(0);
    if (r->status == 400) {
        // Refused, possibly after streaming the head and data on: then the proxy must never
        // get a complete request, and its connection must be dropped, not reused.
        EXPECT_TRUE(upstream_->requests().empty());
        if (upstream_->connection_count() > 0) {
            EXPECT_TRUE(upstream_->wait_for_client_close(0, 2s));
        }
        EXPECT_EQ(upstream_->connection(0).received.find("evil.example"), std::string::npos);
        return;
    }
    EXPECT_EQ(r->status, 200);
    ASSERT_EQ(upstream_->requests().size(), 1u);
    const auto sent = upstream_->requests()[0];
    const auto end = head_end(sent);
    const auto head = parse_head(sent.substr(0, end));
    ASSERT_TRUE(head);
    EXPECT_EQ(head->count("Host"), 1u);
    EXPECT_EQ(head->get("Host"), k_target);
    std::string body;
    if (head->has("Transfer-Encoding")) {
        chunked_decoder d;
        d.feed(std::string_view(sent).substr(end), body);
        EXPECT_TRUE(d.done());
        for (const char* f : {"Content-Length", "Transfer-Encoding", "Host"})
            EXPECT_EQ(d.trailers().find(std::string(f) + ":"), std::string::npos) << d.trailers();
    } else {
        EXPECT_EQ(head->get("Content-Length"), "5");
        body = sent.substr(end);
    }
    EXPECT_EQ(body, "hello");
}

}  // namespace
}  // namespace mrb::test
