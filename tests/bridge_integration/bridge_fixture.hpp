#pragma once
// Shared pieces of the bridge's black-box tests: start the binary against an in-test upstream,
// build raw requests and responses. Written from issue 2 and docs/architecture.md only.

#include "bridge_process.hpp"
#include "raw_client.hpp"
#include "scripted_upstream.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#ifndef MRB_BRIDGE_BINARY
#error "MRB_BRIDGE_BINARY must name the model-runner-bridge binary"
#endif

namespace mrb::test {

using namespace std::chrono_literals;

/// The Model Runner's authority as the bridge is told (the upstream here plays the proxy).
inline const std::string k_target = "localhost:12434";

/// A request head (no body) in origin-form with the given extra header lines ("Name: v\r\n"...).
inline std::string request(const std::string& method, const std::string& path, const std::string& extra = "")
{
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

inline std::string chunk(const std::string& data)
{
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
}
inline const std::string k_last_chunk = "0\r\n\r\n";

inline std::string sse_head()
{
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
           "Transfer-Encoding: chunked\r\n\r\n";
}

/// The i-th event of a streamed chat completion.
inline std::string sse_event(int i)
{
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
           "\"delta\":{\"content\":\"tok" + std::to_string(i) + "\"}}]}\n\n";
}

inline std::string ok_response(const std::string& body = "{\"object\":\"list\",\"data\":[]}")
{
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size())
        + "\r\n\r\n" + body;
}

inline const std::string k_chat_body =
    R"({"model":"ai/qwen2.5:7B-Q4_K_M","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true})";

inline std::string chat_request()
{
    return "POST /engines/llama.cpp/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Content-Type: application/json\r\nAuthorization: Bearer not-needed\r\nContent-Length: "
        + std::to_string(k_chat_body.size()) + "\r\n\r\n" + k_chat_body;
}

/// Fixture: owns an upstream (the fake proxy) and the bridge pointed at it.
class bridge_test : public testing::Test {
protected:
    /// Starts the upstream with these scripts (see scripted_upstream).
    void start_upstream(std::vector<upstream_script> per_connection,
        upstream_script fallback = {step::read_request(), step::reset()}, upstream_options opts = {})
    {
        upstream_ = std::make_unique<scripted_upstream>(std::move(per_connection), std::move(fallback), opts);
    }

    /// Options for a bridge that relays through the upstream to k_target.
    bridge_options options(std::vector<std::string> extra = {}) const
    {
        bridge_options o;
        o.program = MRB_BRIDGE_BINARY;
        if (upstream_)
            o.args = {"--proxy", "http://127.0.0.1:" + std::to_string(upstream_->port()), "--target", k_target};
        o.args.insert(o.args.end(), extra.begin(), extra.end());
        return o;
    }

    testing::AssertionResult start_bridge(std::vector<std::string> extra = {})
    {
        return start_bridge(options(std::move(extra)));
    }
    testing::AssertionResult start_bridge(bridge_options o)
    {
        bridge_ = std::make_unique<bridge_process>(std::move(o));
        return bridge_->start();
    }

    raw_client client(int receive_buffer = 0) const { return raw_client(bridge_->port(), receive_buffer); }

    /// The n-th access-log entry (waiting for it); an empty object if it never came.
    nlohmann::json access(std::size_t n, std::chrono::milliseconds timeout = 5s)
    {
        EXPECT_TRUE(bridge_->wait_for_access_log(n + 1, timeout));
        const auto log = bridge_->access_log();
        return n < log.size() ? log[n] : nlohmann::json::object();
    }

    void TearDown() override
    {
        if (HasFailure() && bridge_)
            std::cerr << bridge_->output();
    }

    std::unique_ptr<scripted_upstream> upstream_;
    std::unique_ptr<bridge_process> bridge_;
};

/// `{"error":{"message","type","code"}}` with a non-empty message, as OpenAI clients parse.
inline testing::AssertionResult is_openai_error(const http_response& r)
{
    const auto ct = r.head.get("Content-Type").value_or("");
    if (ct.rfind("application/json", 0) != 0)
        return testing::AssertionFailure() << "Content-Type is '" << ct << "'";
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("error") || !j["error"].is_object())
        return testing::AssertionFailure() << "body is not {\"error\":{...}}: " << r.body;
    const auto& e = j["error"];
    if (!e.contains("message") || !e["message"].is_string() || e["message"].get<std::string>().empty()
        || !e.contains("type") || !e.contains("code"))
        return testing::AssertionFailure() << "error lacks message/type/code: " << r.body;
    return testing::AssertionSuccess();
}

inline std::string error_message(const http_response& r)
{
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded())
        return {};
    return j.value("/error/message"_json_pointer, std::string());
}

}  // namespace mrb::test
