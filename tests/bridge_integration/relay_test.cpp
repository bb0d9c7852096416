// Relay shape: absolute form, Host, hop-by-hop headers both ways, Via, byte-exact bodies,
// keep-alive and pooling, proxy credentials, the Model Runner's answers untouched.
#include "bridge_fixture.hpp"

#include <openssl/evp.h>

namespace mrb::test {
namespace {

std::string base64(const std::string& in)
{
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
        reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// Bytes that only survive a byte-exact relay: gzip magic, NUL, 0xff, CRLF.
const std::string k_gzip_body = std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + std::string("\0\xff\r\n\r\nok", 8);

TEST_F(bridge_test, relays_absolute_form_with_host_and_strips_hop_by_hop_both_ways)
{
    const std::string response = "HTTP/1.1 200 OK\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Encoding: gzip\r\n"
                                 "Connection: keep-alive, X-Resp-Hop\r\n"
                                 "X-Resp-Hop: 1\r\n"
                                 "Keep-Alive: timeout=5, max=100\r\n"
                                 "Proxy-Connection: keep-alive\r\n"
                                 "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
                                 "Upgrade: h2c\r\n"
                                 "Trailer: X-Checksum\r\n"
                                 "X-Upstream-Kept: yes\r\n"
                                 "Content-Length: " + std::to_string(k_gzip_body.size()) + "\r\n\r\n" + k_gzip_body;
    start_upstream({{step::read_request(), step::send(response)}});
    ASSERT_TRUE(start_bridge());

    auto c = client();
    ASSERT_TRUE(c.send("GET /engines/llama.cpp/v1/models?limit=2&q=a%20b HTTP/1.1\r\n"
                       "Host: 127.0.0.1:54321\r\n"
                       "Connection: keep-alive, X-Req-Hop\r\n"
                       "X-Req-Hop: 1\r\n"
                       "Keep-Alive: timeout=5\r\n"
                       "Proxy-Connection: keep-alive\r\n"
                       "TE: trailers\r\n"
                       "Trailer: X-Checksum\r\n"
                       "Upgrade: h2c\r\n"
                       "Proxy-Authorization: Basic Y2xpZW50OnNlY3JldA==\r\n"
                       "Authorization: Bearer not-needed\r\n"
                       "Accept-Encoding: gzip\r\n"
                       "X-Custom: value with  inner  spaces\r\n"
                       "\r\n"));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);

    // What the proxy received.
    ASSERT_TRUE(upstream_->wait_for_requests(1, 5s));
    const auto sent = parse_head(upstream_->requests()[0]);
    ASSERT_TRUE(sent) << upstream_->requests()[0];
    EXPECT_EQ(sent->start_line, "GET http://" + k_target + "/engines/llama.cpp/v1/models?limit=2&q=a%20b HTTP/1.1");
    EXPECT_EQ(sent->count("Host"), 1u);
    EXPECT_EQ(sent->get("Host"), k_target);
    for (const char* hop : {"X-Req-Hop", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Proxy-Authorization"})
        EXPECT_FALSE(sent->has(hop)) << hop << " was forwarded";
    if (const auto conn = sent->get("Connection")) {
        EXPECT_TRUE(iequals(*conn, "keep-alive") || iequals(*conn, "close")) << "Connection: " << *conn;
    }
    EXPECT_EQ(sent->count("Via"), 1u);
    EXPECT_EQ(sent->get("Authorization"), "Bearer not-needed");
    EXPECT_EQ(sent->get("Accept-Encoding"), "gzip");
    EXPECT_EQ(sent->get("X-Custom"), "value with  inner  spaces");

    // What the client received.
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->complete);
    EXPECT_EQ(r->body, k_gzip_body);
    EXPECT_EQ(r->head.get("Content-Encoding"), "gzip");
    EXPECT_EQ(r->head.get("Content-Type"), "application/json");
    EXPECT_EQ(r->head.get("X-Upstream-Kept"), "yes");
    for (const char* hop : {"X-Resp-Hop", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Upgrade", "Trailer"})
        EXPECT_FALSE(r->head.has(hop)) << hop << " was relayed to the client";

    const auto entry = access(0);
    EXPECT_EQ(entry.value("method", ""), "GET");
    EXPECT_EQ(entry.value("path", ""), "/engines/llama.cpp/v1/models?limit=2&q=a%20b");
    EXPECT_EQ(entry.value("status", 0), 200);
    EXPECT_EQ(entry.value("bytes_out", -1), static_cast<int>(k_gzip_body.size()));
    EXPECT_TRUE(entry.value("flags", nlohmann::json::array()).empty()) << entry;
}

TEST_F(bridge_test, keeps_clients_alive_and_reuses_one_pooled_proxy_connection)
{
    const std::string body = R"({"n":1})";
    start_upstream({{step::read_request(), step::send(ok_response("first")), step::read_request(),
        step::send(ok_response("second")), step::read_request(), step::send(ok_response("third"))}});
    // One worker: each worker thread keeps its own pool, and connections are dealt out in turn.
    ASSERT_TRUE(start_bridge({"--threads", "1"}));

    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "first");
    EXPECT_FALSE(r->closed);

    // Same client connection, a body this time.
    ASSERT_TRUE(c.send("POST /engines/v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
        + std::to_string(body.size()) + "\r\n\r\n" + body));
    r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "second");

    // A new client connection still uses the pooled proxy connection.
    auto c2 = client();
    ASSERT_TRUE(c2.send(request("GET", "/models")));
    r = c2.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "third");

    EXPECT_EQ(upstream_->connection_count(), 1u);
    const auto reqs = upstream_->requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[1].substr(reqs[1].size() - body.size()), body);
    EXPECT_EQ(reqs[1].rfind("POST http://" + k_target + "/engines/v1/completions HTTP/1.1\r\n", 0), 0u);
    EXPECT_TRUE(access(2).value("upstream_reused", false));
    EXPECT_EQ(access(1).value("bytes_in", -1), static_cast<int>(body.size()));
}

TEST_F(bridge_test, relays_a_chunked_request_body_byte_exact)
{
    start_upstream({{step::read_request(), step::send(ok_response())}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send("POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunk(k_gzip_body) + chunk("tail") + k_last_chunk));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    ASSERT_TRUE(upstream_->wait_for_requests(1, 5s));
    const auto sent = upstream_->requests()[0];
    const auto end = head_end(sent);
    const auto head = parse_head(sent.substr(0, end));
    ASSERT_TRUE(head);
    std::string body;
    if (head->has("Transfer-Encoding")) {
        chunked_decoder d;
        d.feed(std::string_view(sent).substr(end), body);
        EXPECT_TRUE(d.done());
    } else {
        body = sent.substr(end);
        EXPECT_EQ(head->get("Content-Length"), std::to_string(body.size()));
    }
    EXPECT_EQ(body, k_gzip_body + "tail");
}

// Bodies larger than the 2 KiB relay buffer move to the 64 KiB bulk buffer part-way through:
// chunk boundaries anywhere (1 byte to 70 KiB) must not change a byte in either direction.
TEST_F(bridge_test, relays_large_chunked_bodies_byte_exact_both_ways_across_the_bulk_switch)
{
    std::string up_body, down_body, up_wire, down_wire;
    const std::size_t sizes[] = {1, 2047, 2048, 2049, 4096, 65535, 65536, 71680, 3, 30000, 12345, 65537};
    unsigned seed = 7;
    auto make = [&](std::string& body, std::string& wire) {
        for (int round = 0; round < 3; ++round)
            for (const auto n : sizes)
            {
                std::string piece(n, '\0');
                for (auto& ch : piece)
                    ch = static_cast<char>('a' + (seed = seed * 1103515245u + 12345u) % 26);
                body += piece;
                wire += chunk(piece);
            }
        wire += k_last_chunk;
    };
    make(up_body, up_wire);
    make(down_body, down_wire);
    start_upstream({{step::read_request(),
                     step::send("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n" + down_wire)}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send("POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n" + up_wire));
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), down_body.size());
    EXPECT_TRUE(r->body == down_body) << "response body differs";
    ASSERT_TRUE(upstream_->wait_for_requests(1, 5s));
    const auto sent = upstream_->requests()[0];
    const auto end = head_end(sent);
    chunked_decoder d;
    std::string got;
    d.feed(std::string_view(sent).substr(end), got);
    EXPECT_TRUE(d.done());
    EXPECT_EQ(got.size(), up_body.size());
    EXPECT_TRUE(got == up_body) << "request body differs";
    EXPECT_EQ(access(0).value("bytes_in", -1), static_cast<long>(up_body.size()));
    EXPECT_EQ(access(0).value("bytes_out", -1), static_cast<long>(down_body.size()));
}

TEST_F(bridge_test, sends_proxy_credentials_from_the_proxy_url_and_never_the_clients)
{
    start_upstream({{step::read_request(), step::send(ok_response())}});
    auto o = options();
    o.args = {"--proxy", "http://bridge-user:p%40ss-w0rd@127.0.0.1:" + std::to_string(upstream_->port()), "--target", k_target};
    ASSERT_TRUE(start_bridge(o));
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models", "Proxy-Authorization: Basic Y2xpZW50OnNlY3JldA==\r\n")));
    ASSERT_TRUE(c.read_response(5s));
    ASSERT_TRUE(upstream_->wait_for_requests(1, 5s));
    const auto sent = parse_head(upstream_->requests()[0]);
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->count("Proxy-Authorization"), 1u);
    EXPECT_EQ(sent->get("Proxy-Authorization"), "Basic " + base64("bridge-user:p@ss-w0rd"));
}

TEST_F(bridge_test, reads_the_proxy_from_http_proxy_when_no_flag_is_given)
{
    start_upstream({{step::read_request(), step::send(ok_response("via env"))}});
    bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.args = {"--target", k_target};
    o.env = {{"HTTP_PROXY", "http://127.0.0.1:" + std::to_string(upstream_->port())}, {"NO_PROXY", "localhost,127.0.0.1"}};
    ASSERT_TRUE(start_bridge(o));
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    // NO_PROXY names the target, yet the request must still go through the proxy.
    EXPECT_EQ(r->body, "via env");
    EXPECT_TRUE(upstream_->wait_for_requests(1, 5s));
}

struct dmr_answer {
    const char* name;
    std::string response;  // as the Model Runner (through an allowing proxy) sends it
    int status;
    std::string body;
};

void PrintTo(const dmr_answer& a, std::ostream* os)
{
    *os << a.name;
}

class model_runner_answers : public bridge_test, public testing::WithParamInterface<dmr_answer> {};

TEST_P(model_runner_answers, reach_the_client_unchanged)
{
    const auto& p = GetParam();
    start_upstream({{step::read_request(), step::send(p.response)}});
    ASSERT_TRUE(start_bridge());
    auto c = client();
    ASSERT_TRUE(c.send(chat_request()));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    const auto original = parse_head(p.response);
    ASSERT_TRUE(original);
    EXPECT_EQ(r->status, p.status);
    EXPECT_EQ(r->body, p.body);
    EXPECT_TRUE(r->complete);
    for (const char* name : {"Content-Type", "X-Content-Type-Options"})
        EXPECT_EQ(r->head.get(name), original->get(name)) << name;
    const auto entry = access(0);
    EXPECT_EQ(entry.value("status", 0), p.status);
    EXPECT_FALSE(has_flag(entry, "PD")) << entry;
}

dmr_answer text_error(const char* name, int status, const char* reason, std::string body)
{
    return {name,
        "HTTP/1.1 " + std::to_string(status) + " " + reason
            + "\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: "
            + std::to_string(body.size()) + "\r\n\r\n" + body,
        status, body};
}

dmr_answer json_error(const char* name, int status, const char* reason, std::string body)
{
    return {name,
        "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: "
            + std::to_string(body.size()) + "\r\n\r\n" + body,
        status, body};
}

INSTANTIATE_TEST_SUITE_P(bridge, model_runner_answers,
    testing::Values(
        text_error("model_not_found", 404, "Not Found",
            "error while getting model: get model '\"ai/foo\"': model not found\n"),
        text_error("load_timeout", 500, "Internal Server Error",
            "unable to load runner: inference backend took too long to initialize\n"),
        text_error("origin_not_allowed", 403, "Forbidden", "Origin not allowed\n"),
        text_error("backend_missing", 412, "Precondition Failed",
            "backend \"vllm\" is not installed; run: docker model install-runner --backend vllm\n"),
        json_error("llama_bad_request", 400, "Bad Request",
            R"({"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}})"),
        json_error("loading_model", 503, "Service Unavailable",
            R"({"error":{"message":"Loading model","type":"unavailable_error","code":503}})"),
        dmr_answer{"runner_proxy_error", "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", 502, ""}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mrb::test
