#include "core/retry_policy.hpp"

#include <gtest/gtest.h>

namespace {

using mrb::resend_facts;

// The resend rule as a table: only a reused connection that failed before any response byte,
// with the whole request still held, on the first attempt, neither timed out nor abandoned.
TEST(retry_policy, resend_table)
{
    struct row
    {
        resend_facts f;
        bool resend;
        const char* why;
    };
    const resend_facts stale{.reused = true, .first_attempt = true, .response_bytes = false, .request_held = true};
    auto with = [&](auto change) {
        resend_facts f = stale;
        change(f);
        return f;
    };
    const row rows[] = {
        {stale, true, "stale pooled connection, request held (a POST too)"},
        {with([](resend_facts& f) { f.reused = false; }), false, "a fresh connection failing is a real failure"},
        {with([](resend_facts& f) { f.first_attempt = false; }), false, "at most one resend"},
        {with([](resend_facts& f) { f.response_bytes = true; }), false, "the proxy answered: it acted on the request"},
        {with([](resend_facts& f) { f.request_held = false; }), false, "body beyond --replay-limit: cannot be resent"},
        {with([](resend_facts& f) { f.timed_out = true; }), false, "a deadline is not a stale connection"},
        {with([](resend_facts& f) { f.client_gone = true; }), false, "nobody waits for the answer"},
    };
    for (const auto& r : rows)
        EXPECT_EQ(mrb::may_resend(r.f), r.resend) << r.why;
}

} // namespace
