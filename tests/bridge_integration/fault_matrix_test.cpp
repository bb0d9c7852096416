// Issue 10, fault matrix (Envoy's both directions): the client or the upstream closes (FIN) or
// resets (RST) before the request is complete, before the response head, mid-body, or after the
// response. Each case checks what the other side sees, then that a normal request still succeeds.
// Every step is ordered by an observed event (bytes received, a gate released), never by time.
#include "bridge_fixture.hpp"

namespace mrb::test {
namespace {

enum class who { client, upstream };
enum class how { close, reset };
enum class when { request_incomplete, before_response_head, mid_body, after_response };

struct fault {
    who side;
    how kind;
    when moment;
};

std::string name_of(const testing::TestParamInfo<fault>& info)
{
    const auto& f = info.param;
    static const char* moments[] = {"request_incomplete", "before_response_head", "mid_body", "after_response"};
    return std::string(f.side == who::client ? "client_" : "upstream_") + (f.kind == how::close ? "close_" : "reset_")
        + moments[static_cast<int>(f.moment)];
}

const std::string k_body = "0123456789";
const std::string k_post_head = "POST /engines/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Type: application/json\r\nContent-Length: 10\r\n\r\n";

std::string full_response()
{
    return sse_head() + chunk(sse_event(1)) + chunk(sse_event(2)) + k_last_chunk;
}

upstream_step end_with(how k)
{
    return k == how::close ? step::close() : step::reset();
}

// The upstream's script for the faulty exchange (connection 0).
upstream_script script_for(const fault& f)
{
    if (f.side == who::client) {
        switch (f.moment) {
        case when::request_incomplete:
        case when::before_response_head:
            return {step::read_request(), step::stall()};
        case when::mid_body:
            return {step::read_request(), step::send(sse_head() + chunk(sse_event(1))), step::gate()};
        case when::after_response:
            // Stays pooled: the next request may come on this connection.
            return {step::read_request(), step::send(full_response()), step::read_request(),
                step::send(ok_response("next")), step::stall()};
        }
    }
    switch (f.moment) {
    case when::request_incomplete:
        return {step::gate(), end_with(f.kind)};
    case when::before_response_head:
        return {step::read_request(), end_with(f.kind)};
    case when::mid_body:
        return {step::read_request(), step::send(sse_head() + chunk(sse_event(1))), step::gate(), end_with(f.kind)};
    case when::after_response:
        return {step::read_request(), step::send(full_response()), step::gate(), end_with(f.kind)};
    }
    return {};
}

class fault_matrix : public bridge_test, public testing::WithParamInterface<fault> {
protected:
    void end_client(raw_client& c) { c.close(GetParam().kind == how::reset); }

    void run_client_fault(raw_client& c);
    void run_upstream_fault(raw_client& c);
};

void fault_matrix::run_client_fault(raw_client& c)
{
    const auto f = GetParam();
    switch (f.moment) {
    case when::request_incomplete:
        ASSERT_TRUE(c.send(k_post_head + k_body.substr(0, 3)));
        ASSERT_TRUE(upstream_->wait_for_received("\r\n\r\n012", 5s));
        end_client(c);
        break;
    case when::before_response_head:
        ASSERT_TRUE(c.send(k_post_head + k_body));
        ASSERT_TRUE(upstream_->wait_for_requests(1, 5s));
        end_client(c);
        break;
    case when::mid_body:
        ASSERT_TRUE(c.send(k_post_head + k_body));
        ASSERT_TRUE(c.read_head(5s));
        ASSERT_TRUE(c.read_body_until("tok1", 5s));
        end_client(c);
        break;
    case when::after_response: {
        ASSERT_TRUE(c.send(k_post_head + k_body));
        const auto r = c.read_response(5s);
        ASSERT_TRUE(r);
        EXPECT_TRUE(r->complete);
        end_client(c);
        break;
    }
    }
    const auto e = access(0);
    if (f.moment == when::after_response) {
        EXPECT_TRUE(e["flags"].empty()) << e.dump();
        return;
    }
    EXPECT_TRUE(has_flag(e, "DC")) << e.dump();
    // The upstream connection is given up, so the Model Runner stops; never a complete request
    // upstream when the client left before finishing it.
    EXPECT_TRUE(upstream_->wait_for_client_close(0, 5s)) << "the upstream connection was left open";
    if (f.moment == when::request_incomplete)
        EXPECT_TRUE(upstream_->requests().empty());
}

void fault_matrix::run_upstream_fault(raw_client& c)
{
    const auto f = GetParam();
    switch (f.moment) {
    case when::request_incomplete: {
        ASSERT_TRUE(c.send(k_post_head + k_body.substr(0, 3)));
        ASSERT_TRUE(upstream_->wait_for_received("\r\n\r\n012", 5s));
        upstream_->release();
        ASSERT_TRUE(upstream_->wait_for_finished(0, 5s));
        c.send(k_body.substr(3)); // may fail: the bridge may have given up on this client already
        const auto r = c.read_response(5s);
        if (r) {
            EXPECT_EQ(r->status, 502) << r->body;
            EXPECT_TRUE(is_openai_error(*r));
        } else {
            EXPECT_TRUE(c.wait_closed(5s)) << "the client got neither an answer nor a close";
        }
        break;
    }
    case when::before_response_head: {
        ASSERT_TRUE(c.send(k_post_head + k_body));
        const auto r = c.read_response(5s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 502) << r->body;
        EXPECT_TRUE(is_openai_error(*r));
        break;
    }
    case when::mid_body:
        ASSERT_TRUE(c.send(k_post_head + k_body));
        ASSERT_TRUE(c.read_head(5s));
        ASSERT_TRUE(c.read_body_until("tok1", 5s));
        upstream_->release();
        c.read_body(5s);
        EXPECT_TRUE(c.body_cut()) << "a cut stream must not look complete to the client";
        break;
    case when::after_response: {
        ASSERT_TRUE(c.send(k_post_head + k_body));
        const auto r = c.read_response(5s);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_TRUE(r->complete);
        upstream_->release();
        ASSERT_TRUE(upstream_->wait_for_finished(0, 5s));
        break;
    }
    }
    c.close(); // the bridge's lingering close after a 502 need not run out its time
    const auto e = access(0);
    if (f.moment == when::after_response)
        EXPECT_TRUE(e["flags"].empty()) << e.dump();
    else
        EXPECT_TRUE(has_flag(e, "UR")) << e.dump();
}

TEST_P(fault_matrix, then_a_normal_request_succeeds)
{
    const auto f = GetParam();
    start_upstream({script_for(f)}, {step::read_request(), step::send(ok_response("next")), step::stall()});
    ASSERT_TRUE(start_bridge());
    {
        auto c = client();
        if (f.side == who::client)
            run_client_fault(c);
        else
            run_upstream_fault(c);
    }
    if (HasFatalFailure())
        return;

    auto next = client();
    ASSERT_TRUE(next.send(request("GET", "/models")));
    const auto r = next.read_response(5s);
    ASSERT_TRUE(r) << "no answer to the request after the fault";
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "next");
    const auto e = access(1);
    EXPECT_EQ(e.value("path", ""), "/models");
    EXPECT_TRUE(e["flags"].empty()) << e.dump();
}

std::vector<fault> all_faults()
{
    std::vector<fault> out;
    for (auto side : {who::client, who::upstream})
        for (auto kind : {how::close, how::reset})
            for (auto moment : {when::request_incomplete, when::before_response_head, when::mid_body, when::after_response})
                out.push_back({side, kind, moment});
    return out;
}

INSTANTIATE_TEST_SUITE_P(both_directions, fault_matrix, testing::ValuesIn(all_faults()), name_of);

}  // namespace
}  // namespace mrb::test
