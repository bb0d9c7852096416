// The admin listener through the chain: the bridge (a process) -> fake sandbox proxy -> fake Model
// Runner (in-process). Scripted traffic (streams, the model list, stale pooled connections, a
// client abort, a policy denial, a proxy outage), then GET /metrics: every counter is compared
// with what the access log of the same run says, and the per-model time to first token and
// tokens/s with what the fake Model Runner was scripted to produce (within the bucket). /readyz
// is checked in each state of the chain; `status` reads the same figures.
#include "bridge_process.hpp"
#include "child_process.hpp"
#include "fake_model_runner.hpp"
#include "raw_client.hpp"
#include "sandbox_proxy/fake_sandbox_proxy.hpp"

#include "net/admin_client.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace proxy = fakes::sandbox_proxy;

/// `name{labels} value` lines of an exposition, keyed by `name{labels}` as written.
std::map<std::string, double> parse_exposition(const std::string& text)
{
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
    {
        if (line.empty() || line[0] == '#')
            continue;
        const auto space = line.rfind(' ');
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

class observability : public testing::Test
{
protected:
    void start_runner(std::chrono::milliseconds load_delay = 1500ms)
    {
        fakes::model_runner::runner_options o;
        o.port = 0;
        o.load_delay = load_delay; // the first inference request per model: its time to first token
        o.prefill_rate = 0;     // the others answer at once
        fakes::model_runner::scripted_reply long_reply;
        long_reply.prompt_contains = "long";
        long_reply.text = "and on ";
        long_reply.repeat = 200000;
        o.replies.push_back(long_reply);
        runner_ = std::make_unique<fakes::model_runner::fake_model_runner>(std::move(o));
        runner_->start();
    }
    static proxy::policy_rules rules(bool allow_localhost)
    {
        proxy::policy_rules r;
        r.mode = proxy::policy_mode::deny;
        if (allow_localhost)
            r.allow_hosts.push_back("localhost");
        return r;
    }
    void start_proxy()
    {
        proxy::proxy_options o;
        o.port = 0;
        o.use_environment = false;
        o.policy = rules(true);
        proxy_ = std::make_unique<proxy::fake_sandbox_proxy>(std::move(o));
        proxy_->start();
    }
    testing::AssertionResult start_bridge(std::vector<std::string> extra = {})
    {
        mrb::test::bridge_options o;
        o.program = MRB_BRIDGE_BINARY;
        o.args = {"--target", "localhost:" + std::to_string(runner_->port()), "--proxy",
                  "http://127.0.0.1:" + std::to_string(proxy_->port()), "--connect-timeout", "2s",
                  "--readiness-cache", "0s"};
        o.args.insert(o.args.end(), extra.begin(), extra.end());
        bridge_ = std::make_unique<mrb::test::bridge_process>(std::move(o));
        return bridge_->start();
    }
    void SetUp() override
    {
        start_runner();
        start_proxy();
        ASSERT_TRUE(start_bridge());
        ASSERT_NE(bridge_->admin_port(), 0);
    }

    mrb::admin_answer admin(const std::string& path)
    {
        std::string error;
        auto a = mrb::admin_get("127.0.0.1", bridge_->admin_port(), path, 20s, error);
        EXPECT_TRUE(a) << error;
        return a.value_or(mrb::admin_answer{});
    }

    // One request through the bridge; returns the status (0: no answer).
    int send(const std::string& prompt, bool stream = true)
    {
        mrb::test::raw_client c(bridge_->port());
        const std::string body = json{{"model", "ai/smollm2"}, {"stream", stream},
                                      {"messages", json::array({{{"role", "user"}, {"content", prompt}}})}}
                                     .dump();
        c.send("POST /engines/llama.cpp/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        const auto r = c.read_response(30s);
        return r ? r->status : 0;
    }
    int get_models()
    {
        mrb::test::raw_client c(bridge_->port());
        c.send("GET /engines/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        const auto r = c.read_response(30s);
        return r ? r->status : 0;
    }

    std::unique_ptr<fakes::model_runner::fake_model_runner> runner_;
    std::unique_ptr<proxy::fake_sandbox_proxy> proxy_;
    std::unique_ptr<mrb::test::bridge_process> bridge_;
};

TEST_F(observability, metrics_count_what_the_access_log_says_and_what_the_runner_produced)
{
    std::size_t exchanges = 0;
    for (int i = 0; i < 3; ++i, ++exchanges)
        ASSERT_EQ(send("Say hi"), 200);
    ASSERT_EQ(get_models(), 200);
    ++exchanges;

    // The proxy closes each connection after one response, silently: the next request on the
    // pooled connection meets a closed one (resent once, or noticed before use).
    proxy::proxy_faults stale;
    stale.close_after_requests = 1;
    proxy_->set_faults(stale);
    for (int i = 0; i < 2; ++i, ++exchanges)
        ASSERT_EQ(send("Say hi again"), 200);
    proxy_->set_faults({});

    {   // The client goes away in the middle of a long stream.
        mrb::test::raw_client c(bridge_->port());
        const std::string body = json{{"model", "ai/smollm2"}, {"stream", true},
                                      {"messages", json::array({{{"role", "user"}, {"content", "a long one"}}})}}
                                     .dump();
        c.send("POST /engines/llama.cpp/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        ASSERT_TRUE(c.read_head(30s));
        ASSERT_TRUE(c.read_body_until("data:", 30s, 8192)); // well into the stream
        c.close(true);
        ++exchanges;
        ASSERT_TRUE(bridge_->wait_for_access_log(exchanges, 60s));
    }

    proxy_->set_policy(rules(false));
    ASSERT_EQ(send("denied"), 200); // --error-delivery chat: the denial is a reply carrying the fix
    ++exchanges;
    proxy_->set_policy(rules(true));

    proxy::proxy_faults down;
    down.refuse = proxy::refuse_mode::stop_listening;
    proxy_->set_faults(down);
    ASSERT_EQ(send("outage"), 502);
    ++exchanges;
    proxy_->set_faults({});
    ASSERT_TRUE(bridge_->wait_for_access_log(exchanges, 60s));

    const auto log = bridge_->access_log();
    ASSERT_EQ(log.size(), exchanges);
    std::size_t retried = 0, chat_200 = 0;
    for (const auto& e : log)
    {
        retried += e.value("retried", false) ? 1 : 0;
        chat_200 += e.value("status", 0) == 200 && e.value("path", "").ends_with("/chat/completions") ? 1 : 0;
    }

    const mrb::admin_answer scrape = admin("/metrics");
    ASSERT_EQ(scrape.status, 200u);
    auto m = parse_exposition(scrape.body);
    EXPECT_EQ(m["mrb_requests_total{route=\"chat_completions\",code=\"200\"}"], chat_200) << scrape.body;
    EXPECT_EQ(chat_200, 7u); // 6 relayed, and the denial delivered as a chat reply
    EXPECT_EQ(m["mrb_requests_total{route=\"models\",code=\"200\"}"], 1);
    EXPECT_EQ(m["mrb_requests_total{route=\"chat_completions\",code=\"451\"}"], 0);
    EXPECT_EQ(m["mrb_requests_total{route=\"chat_completions\",code=\"502\"}"], 1);
    EXPECT_EQ(m["mrb_failures_total{hop=\"proxy\",kind=\"policy_denial\"}"], 1);
    EXPECT_EQ(m["mrb_failures_total{hop=\"proxy\",kind=\"proxy_refused\"}"], 1);
    EXPECT_EQ(m["mrb_failures_total{hop=\"client\",kind=\"client_abort\"}"], 1);
    EXPECT_EQ(m["mrb_stale_retries_total"], retried);
    EXPECT_EQ(m["mrb_exchange_duration_seconds_count"], exchanges);

    // Streams: the 6 answered with 200 (the aborted one included), all under one model label.
    const std::regex streams_re(R"re(mrb_streams_total\{model="([^"]+)"\})re");
    std::string model;
    for (const auto& [k, v] : m)
        if (std::smatch s; std::regex_match(k, s, streams_re))
        {
            EXPECT_TRUE(model.empty()) << "one model label: " << k;
            model = s[1];
            EXPECT_EQ(v, 6);
        }
    ASSERT_TRUE(model.starts_with("ai/smollm2")) << model;
    const std::string label = "model=\"" + model + "\"";
    // Time to first token: the first request waited for the 1.5 s load, the others did not.
    EXPECT_EQ(m["mrb_stream_first_token_seconds_count{" + label + "}"], 6);
    EXPECT_EQ(m["mrb_stream_first_token_seconds_bucket{" + label + ",le=\"1\"}"], 5);
    EXPECT_EQ(m["mrb_stream_first_token_seconds_bucket{" + label + ",le=\"2.5\"}"], 6);
    // Tokens/s: the runner reports llama.cpp's timings.predicted_per_second = 100 on every
    // stream it finishes (the aborted one has none: its rate is derived, any bucket).
    const double in_100 = m["mrb_stream_tokens_per_second_bucket{" + label + ",le=\"100\"}"] -
                          m["mrb_stream_tokens_per_second_bucket{" + label + ",le=\"75\"}"];
    EXPECT_GE(in_100, 5);
    EXPECT_LE(in_100, 6);
    EXPECT_EQ(m["mrb_open_streams"], 0);
    EXPECT_GT(m["process_resident_memory_bytes"], 0);
    EXPECT_GT(m["process_open_fds"], 0);

    // The scrape itself passes Prometheus's own linter (ci/install-deps.sh installs promtool).
    const std::string file = testing::TempDir() + "mrb-scrape-" + std::to_string(::getpid()) + ".prom";
    {
        std::ofstream out(file);
        out << scrape.body;
    }
    mrb::test::child_process promtool("/bin/sh", {"-c", "promtool check metrics < '" + file + "'"}, {});
    const auto lint = promtool.wait_exit(60s);
    ASSERT_TRUE(lint);
    EXPECT_EQ(*lint, 0) << promtool.text(mrb::test::child_process::stream::out)
                        << promtool.text(mrb::test::child_process::stream::err);
    std::remove(file.c_str());

    // `status` shows the same figures.
    mrb::test::child_process status(MRB_BRIDGE_BINARY,
                                    {"status", "--json", "--admin-listen", std::to_string(bridge_->admin_port())}, {});
    const auto rc = status.wait_exit(30s);
    ASSERT_TRUE(rc);
    // Both streams have ended once the process has exited; take what it wrote.
    EXPECT_EQ(*rc, 0) << status.text(mrb::test::child_process::stream::err);
    const json s = json::parse(status.text(mrb::test::child_process::stream::out));
    EXPECT_EQ(s["since_start"]["requests"], exchanges);
    EXPECT_EQ(s["since_start"]["errors_by_hop"]["proxy"], 2);
    EXPECT_EQ(s["since_start"]["errors_by_hop"]["client"], 1);
    EXPECT_EQ(s["models"][0]["streams"], 6);
    EXPECT_EQ(s["readiness"]["ready"], true);
}

TEST_F(observability, readyz_names_the_hop_that_is_not_ready)
{
    EXPECT_EQ(admin("/healthz").status, 200u);
    auto r = admin("/readyz");
    EXPECT_EQ(r.status, 200u) << r.body;

    proxy_->set_policy(rules(false));
    r = admin("/readyz");
    EXPECT_EQ(r.status, 503u);
    auto j = json::parse(r.body);
    EXPECT_EQ(j["hop"], "proxy") << r.body;
    EXPECT_NE(j["fix"].get<std::string>(), "") << r.body;
    proxy_->set_policy(rules(true));

    const std::uint16_t runner_port = runner_->port();
    runner_.reset(); // the Model Runner is down: the proxy answers its own gateway error
    r = admin("/readyz");
    EXPECT_EQ(r.status, 503u);
    j = json::parse(r.body);
    EXPECT_EQ(j["hop"], "model_runner") << r.body;
    (void)runner_port;

    proxy::proxy_faults down;
    down.refuse = proxy::refuse_mode::stop_listening;
    proxy_->set_faults(down);
    r = admin("/readyz");
    EXPECT_EQ(r.status, 503u);
    j = json::parse(r.body);
    EXPECT_EQ(j["hop"], "proxy") << r.body;
    EXPECT_NE(j["message"].get<std::string>().find("proxy"), std::string::npos) << r.body;

    // Still serving: health says so while readiness does not.
    EXPECT_EQ(admin("/healthz").status, 200u);
}

TEST_F(observability, a_slow_response_head_is_warned_about_while_it_is_awaited_and_debug_logs_phases)
{
    runner_.reset();
    start_runner(6500ms); // a model "loading" for longer than the 5 s notice
    ASSERT_TRUE(start_bridge({"--log-level", "debug"}));
    std::thread client([&] { EXPECT_EQ(send("Say hi"), 200); });
    // The warning comes while the head is still awaited (before the access line).
    const std::regex warn(R"("msg":"waiting for the response head)");
    const auto w = bridge_->process().wait_for_line(mrb::test::child_process::stream::err, warn, 30s);
    EXPECT_TRUE(w) << bridge_->output();
    EXPECT_TRUE(bridge_->access_log().empty()) << "warned only after the exchange ended";
    client.join();
    ASSERT_TRUE(bridge_->wait_for_access_log(1, 30s));
    std::size_t warnings = 0;
    json phases;
    for (const auto& e : bridge_->log_entries())
    {
        warnings += e.value("msg", "").starts_with("waiting for the response head") ? 1 : 0;
        if (e.value("msg", "") == "exchange phases")
            phases = e;
    }
    EXPECT_EQ(warnings, 1u);
    ASSERT_FALSE(phases.is_null()) << bridge_->output();
    EXPECT_EQ(phases["level"], "debug");
    const std::int64_t head = phases["request_head_us"], forward = phases["forward_us"],
                       upstream = phases["upstream_head_us"], first = phases["first_byte_us"], end = phases["end_us"];
    EXPECT_GE(head, 0);
    EXPECT_LE(head, forward);
    EXPECT_LE(forward, upstream);
    EXPECT_GE(upstream, 5'000'000) << "the head waited for the load";
    EXPECT_LE(upstream, first);
    EXPECT_LE(first, end);
}

TEST_F(observability, status_watch_refreshes_until_told_to_stop)
{
    ASSERT_EQ(send("Say hi"), 200);
    mrb::test::child_process watch(MRB_BRIDGE_BINARY,
                                   {"status", "--watch", "--iterations", "3", "--interval", "100ms", "--admin-listen",
                                    std::to_string(bridge_->admin_port())},
                                   {});
    const auto rc = watch.wait_exit(60s);
    ASSERT_TRUE(rc);
    EXPECT_EQ(*rc, 0) << watch.text(mrb::test::child_process::stream::err);
    const std::string out = watch.text(mrb::test::child_process::stream::out);
    std::size_t screens = 0;
    for (auto at = out.find("model-runner-bridge  up "); at != std::string::npos;
         at = out.find("model-runner-bridge  up ", at + 1))
        ++screens;
    EXPECT_EQ(screens, 3u) << out; // not a terminal: screens one after another, no escape codes
    EXPECT_EQ(out.find("\x1b["), std::string::npos) << out;
    EXPECT_NE(out.find("chain: ready"), std::string::npos) << out;
}

TEST_F(observability, status_without_a_bridge_is_one_line_and_exit_4)
{
    mrb::test::child_process status(MRB_BRIDGE_BINARY, {"status", "--admin-listen", "127.0.0.1:1"}, {});
    const auto rc = status.wait_exit(30s);
    ASSERT_TRUE(rc);
    EXPECT_EQ(*rc, 4);
    const std::string err = status.text(mrb::test::child_process::stream::err);
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find("is the bridge running?"), std::string::npos) << err;
}

} // namespace

namespace {

TEST(startup, a_proxy_name_that_does_not_resolve_is_warned_about_at_once)
{
    mrb::test::bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.args = {"--proxy", "http://no-such-host.invalid:3128"};
    mrb::test::bridge_process bridge(std::move(o));
    ASSERT_TRUE(bridge.start());
    bool warned = false;
    for (const auto& e : bridge.log_entries())
        warned |= e.value("level", "") == "warn" && e.value("msg", "").find("does not resolve") != std::string::npos &&
                  e.value("fix", "") != "";
    EXPECT_TRUE(warned) << bridge.output();
}

TEST(startup, a_resolvable_proxy_gets_no_warning_and_no_traffic)
{
    mrb::test::bridge_options o;
    o.program = MRB_BRIDGE_BINARY;
    o.args = {"--proxy", "http://127.0.0.1:9"};
    mrb::test::bridge_process bridge(std::move(o));
    ASSERT_TRUE(bridge.start());
    for (const auto& e : bridge.log_entries())
        EXPECT_NE(e.value("level", ""), "warn") << e.dump();
}

} // namespace
