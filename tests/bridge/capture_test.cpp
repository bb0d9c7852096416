// Loopback tests of --capture (the one bridge output the black-box suite does not cover): the
// bridge runs as a process against a scripted upstream from tests/support.
#include "bridge_process.hpp"
#include "raw_client.hpp"
#include "scripted_upstream.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using namespace mrb::test;

std::string chunk(const std::string& s)
{
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", s.size());
    return size + s + "\r\n";
}

std::vector<nlohmann::json> read_lines(const std::string& path)
{
    std::vector<nlohmann::json> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        out.push_back(nlohmann::json::parse(line));
    return out;
}

class capture_test : public testing::Test {
protected:
    void SetUp() override
    {
        path_ = (std::filesystem::temp_directory_path() /
                 ("mrb-capture-" + std::to_string(::getpid()) + "-" +
                  testing::UnitTest::GetInstance()->current_test_info()->name() + ".jsonl"))
                    .string();
        std::filesystem::remove(path_);
    }
    void TearDown() override { std::filesystem::remove(path_); }

    bridge_options options(std::uint16_t upstream_port, std::vector<std::string> extra) const
    {
        bridge_options o;
        o.program = MRB_BRIDGE_BINARY;
        o.args = {"--proxy", "http://127.0.0.1:" + std::to_string(upstream_port), "--target", "localhost:12434",
                  "--capture", path_};
        o.args.insert(o.args.end(), extra.begin(), extra.end());
        return o;
    }
    std::string path_;
};

const std::string k_events = "data: {\"n\":1}\n\n" "data: {\"n\":2}\n\n";

TEST_F(capture_test, records_heads_redacted_chunk_and_event_times)
{
    scripted_upstream up({{step::read_request(),
                           step::send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n" + chunk("data: {\"n\":1}\n\n")),
                           step::delay(20ms), step::send(chunk("data: {\"n\":2}\n\n") + "0\r\n\r\n")}});
    bridge_process bridge(options(up.port(), {"--capture-bodies"}));
    ASSERT_TRUE(bridge.start());
    raw_client c(bridge.port());
    const std::string body = R"({"model":"m","stream":true})";
    ASSERT_TRUE(c.send("POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer sk-secret-value\r\nx-api-key: another-secret\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    ASSERT_TRUE(bridge.wait_for_access_log(1, 5s));

    const auto lines = read_lines(path_);
    ASSERT_EQ(lines.size(), 1u);
    const auto& x = lines[0];
    EXPECT_EQ(x["request"]["method"], "POST");
    EXPECT_EQ(x["request"]["target"], "/engines/v1/chat/completions");
    EXPECT_EQ(x["upstream_request"]["target"], "http://localhost:12434/engines/v1/chat/completions");
    EXPECT_EQ(x["upstream_response"]["status"], 200);
    EXPECT_EQ(x["response"]["status"], 200);
    EXPECT_EQ(x["status"], 200);
    EXPECT_EQ(x["end"], "complete");
    EXPECT_EQ(x["sse_events"], 2);
    ASSERT_EQ(x["sse_event_us"].size(), 2u);
    // The second event left the upstream 20 ms after the first.
    EXPECT_GE(x["sse_event_us"][1].get<long long>() - x["sse_event_us"][0].get<long long>(), 15'000);
    EXPECT_EQ(x["chunks"].size(), 2u);
    EXPECT_EQ(x["request_body"], body);
    EXPECT_EQ(x["response_body"], k_events);
    const std::string all = x.dump();
    EXPECT_EQ(all.find("sk-secret-value"), std::string::npos);
    EXPECT_EQ(all.find("another-secret"), std::string::npos);
    EXPECT_NE(all.find("[redacted]"), std::string::npos);
}

TEST_F(capture_test, without_bodies_and_for_a_bridge_answer)
{
    // The upstream refuses: the bridge answers 502 itself and says so in the capture.
    scripted_upstream up({{step::read_request(), step::reset()}});
    bridge_process bridge(options(up.port(), {}));
    ASSERT_TRUE(bridge.start());
    raw_client c(bridge.port());
    ASSERT_TRUE(c.send("POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    ASSERT_TRUE(bridge.wait_for_access_log(1, 5s));
    const auto lines = read_lines(path_);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["response"]["generated_by"], "model-runner-bridge");
    EXPECT_EQ(lines[0]["status"], 502);
    EXPECT_EQ(lines[0]["end"], "failed");
    EXPECT_EQ(lines[0]["flags"], nlohmann::json::array({"UR"}));
    EXPECT_FALSE(lines[0].contains("request_body"));
    EXPECT_FALSE(lines[0].contains("response_body"));
}

} // namespace
