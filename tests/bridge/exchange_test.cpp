// The relay's decisions (core/exchange), without sockets: the error ladder as one table, the
// error-code classes, the client-body verdicts, keep-alive, the client framing and pooling.
#include "core/exchange.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include <gtest/gtest.h>

namespace {

using namespace mrb;
namespace aerr = boost::asio::error;
namespace http = boost::beast::http;
using boost::system::error_code;
using action = upstream_verdict::action;
using stage = upstream_stage;

TEST(exchange, error_code_classes)
{
    struct row
    {
        error_code ec;
        io_error want;
    };
    const row rows[] = {
        {aerr::eof, io_error::closed},
        {http::error::end_of_stream, io_error::closed},
        {aerr::connection_reset, io_error::closed},
        {aerr::broken_pipe, io_error::closed},
        {http::error::partial_message, io_error::other}, // cut inside a message: not a parse error
        {http::error::bad_field, io_error::protocol},
        {http::error::bad_chunk, io_error::protocol},
        {http::error::header_limit, io_error::protocol},
        {aerr::operation_aborted, io_error::other},
        {aerr::timed_out, io_error::other},
        {error_code{}, io_error::other},
    };
    for (const auto& r : rows)
        EXPECT_EQ(classify_io_error(r.ec), r.want) << r.ec.message();
}

TEST(exchange, connect_failures)
{
    EXPECT_EQ(connect_failure(aerr::connection_refused, false), failure::proxy_refused);
    EXPECT_EQ(connect_failure(aerr::host_not_found, false), failure::proxy_unreachable);
    EXPECT_EQ(connect_failure(aerr::network_unreachable, false), failure::proxy_unreachable);
    EXPECT_EQ(connect_failure(aerr::operation_aborted, true), failure::proxy_connect_timeout);
    EXPECT_EQ(connect_failure(aerr::connection_refused, true), failure::proxy_connect_timeout);
}

// One row per situation the relay meets; `base` is a plain failure on a fresh connection.
TEST(exchange, upstream_failure_table)
{
    struct row
    {
        const char* what;
        upstream_failure_facts f;
        upstream_verdict want;
    };
    auto facts = [](stage s, io_error e, auto change) {
        upstream_failure_facts f{.stage = s, .error = e};
        change(f);
        return f;
    };
    auto same = [](upstream_failure_facts&) {};
    auto body = [](upstream_failure_facts& f) { f.request_body = true; };
    auto timed_out = [](upstream_failure_facts& f) { f.timed_out = true; };
    auto gone = [](upstream_failure_facts& f) { f.client_gone = true; };
    auto stale = [](upstream_failure_facts& f) {
        f.reused = true;
        f.request_held = true;
    };
    auto stale_body = [](upstream_failure_facts& f) {
        f.reused = true;
        f.request_held = true;
        f.request_body = true;
    };
    auto stale_answered = [](upstream_failure_facts& f) {
        f.reused = true;
        f.request_held = true;
        f.response_bytes = 12;
    };
    auto stale_second = [](upstream_failure_facts& f) {
        f.reused = true;
        f.request_held = true;
        f.first_attempt = false;
    };
    auto refused = [](upstream_failure_facts& f) { f.connect_result = failure::proxy_refused; };
    auto connect_timeout = [](upstream_failure_facts& f) {
        f.connect_result = failure::proxy_connect_timeout;
        f.request_body = true;
    };
    const upstream_verdict resend{action::resend, 0, failure::proxy_reset, false};
    const upstream_verdict dc_close{action::close, flag_dc, failure::proxy_reset, false};
    const row rows[] = {
        {"connect refused, GET: 502, keep", facts(stage::connect, io_error::other, refused),
         {action::answer, flag_uf, failure::proxy_refused, true}},
        {"connect timeout, POST: 504, UF+UT, close", facts(stage::connect, io_error::other, connect_timeout),
         {action::answer, flag_uf | flag_ut, failure::proxy_connect_timeout, false}},
        {"write reset on a fresh connection", facts(stage::send_request, io_error::closed, same),
         {action::answer, flag_ur, failure::proxy_reset, true}},
        {"write reset, POST: close", facts(stage::send_request, io_error::closed, body),
         {action::answer, flag_ur, failure::proxy_reset, false}},
        {"write on a stale pooled connection: resend", facts(stage::send_request, io_error::closed, stale), resend},
        {"stale POST still held: resend", facts(stage::send_request, io_error::closed, stale_body), resend},
        {"write failed, not a close: no resend", facts(stage::send_request, io_error::other, stale),
         {action::answer, flag_ur, failure::proxy_reset, true}},
        {"write failed, proxy had answered: no resend", facts(stage::send_request, io_error::closed, stale_answered),
         {action::answer, flag_ur, failure::proxy_reset, true}},
        {"write failed, client gone: DC, no answer", facts(stage::send_request, io_error::closed, gone), dc_close},
        {"write timed out: 504", facts(stage::send_request, io_error::other, timed_out),
         {action::answer, flag_ut, failure::proxy_timeout, true}},
        {"head: EOF on a fresh connection", facts(stage::response_head, io_error::closed, same),
         {action::answer, flag_ur, failure::proxy_reset, true}},
        {"head: EOF on a stale pooled connection: resend", facts(stage::response_head, io_error::closed, stale),
         resend},
        {"head: second attempt fails too", facts(stage::response_head, io_error::closed, stale_second),
         {action::answer, flag_ur, failure::proxy_reset, true}},
        {"head: cut after some bytes: no resend", facts(stage::response_head, io_error::closed, stale_answered),
         {action::answer, flag_ur, failure::proxy_reset, true}},
        {"head: garbage: 502 UPE", facts(stage::response_head, io_error::protocol, same),
         {action::answer, flag_upe, failure::proxy_bad_response, true}},
        {"head: garbage after a POST: close", facts(stage::response_head, io_error::protocol, body),
         {action::answer, flag_upe, failure::proxy_bad_response, false}},
        {"head: timeout: 504, close", facts(stage::response_head, io_error::other, timed_out),
         {action::answer, flag_ut, failure::proxy_timeout, false}},
        {"head: client gone: DC", facts(stage::response_head, io_error::other, gone), dc_close},
        {"framing refused: 502, keep", facts(stage::response_framing, io_error::other, body),
         {action::answer, flag_upe, failure::proxy_bad_response, true}},
        {"denial prefix cut", facts(stage::denial_prefix, io_error::closed, body),
         {action::answer, flag_ur, failure::proxy_reset, true}},
        {"denial prefix bad chunk", facts(stage::denial_prefix, io_error::protocol, same),
         {action::answer, flag_upe, failure::proxy_bad_response, true}},
        {"denial prefix timeout", facts(stage::denial_prefix, io_error::other, timed_out),
         {action::answer, flag_ut, failure::proxy_timeout, true}},
        {"denial prefix, client gone", facts(stage::denial_prefix, io_error::closed, gone), dc_close},
        {"body cut: UR, no answer (the head is out)", facts(stage::response_body, io_error::closed, same),
         {action::close, flag_ur, failure::proxy_reset, false}},
        {"body bad chunk: UPE", facts(stage::response_body, io_error::protocol, same),
         {action::close, flag_upe, failure::proxy_reset, false}},
        {"body idle timeout: UT", facts(stage::response_body, io_error::other, timed_out),
         {action::close, flag_ut, failure::proxy_reset, false}},
        {"body, client gone: DC", facts(stage::response_body, io_error::closed, gone), dc_close},
        {"body, stale pooled: never resent", facts(stage::response_body, io_error::closed, stale),
         {action::close, flag_ur, failure::proxy_reset, false}},
    };
    for (const auto& r : rows)
    {
        const auto got = decide_upstream_failure(r.f);
        EXPECT_EQ(got.next, r.want.next) << r.what;
        EXPECT_EQ(got.flags, r.want.flags) << r.what;
        if (r.want.next == action::answer)
        {
            EXPECT_EQ(got.answer, r.want.answer) << r.what;
            EXPECT_EQ(got.keep_client, r.want.keep_client) << r.what;
        }
        else
            EXPECT_FALSE(got.keep_client) << r.what;
    }
}

TEST(exchange, request_body_failures)
{
    EXPECT_EQ(decide_request_body_failure(http::error::body_limit), (client_verdict{flag_dpe, failure::body_too_large}));
    EXPECT_EQ(decide_request_body_failure(http::error::bad_chunk), (client_verdict{flag_dpe, failure::bad_request}));
    EXPECT_EQ(decide_request_body_failure(aerr::eof), (client_verdict{flag_dc, std::nullopt}));
    EXPECT_EQ(decide_request_body_failure(http::error::partial_message), (client_verdict{flag_dc, std::nullopt}));
    EXPECT_EQ(decide_request_body_failure(aerr::operation_aborted), (client_verdict{flag_dc, std::nullopt}));
}

TEST(exchange, request_head_failures)
{
    EXPECT_EQ(request_head_failure(http::error::header_limit), failure::header_too_large);
    EXPECT_EQ(request_head_failure(http::error::body_limit), failure::body_too_large);
    EXPECT_EQ(request_head_failure(http::error::bad_method), failure::bad_request);
    EXPECT_EQ(request_head_failure(http::error::partial_message), failure::bad_request);
}

TEST(exchange, keep_alive)
{
    EXPECT_TRUE(keep_client_connection(true, true, false));
    EXPECT_FALSE(keep_client_connection(false, true, false));
    EXPECT_FALSE(keep_client_connection(true, false, false));
    EXPECT_FALSE(keep_client_connection(true, true, true));

    const body_framing none{}, chunked{body_framing::kind::chunked, 0};
    EXPECT_TRUE(keep_after_response(true, false, true, chunked));
    EXPECT_FALSE(keep_after_response(true, false, true, none)) << "the close ends the body";
    EXPECT_TRUE(keep_after_response(true, false, false, none)) << "no body: nothing to end";
    EXPECT_FALSE(keep_after_response(false, false, true, chunked));
    EXPECT_FALSE(keep_after_response(true, true, true, chunked));
}

TEST(exchange, response_body_allowed)
{
    EXPECT_TRUE(response_has_body(false, 200));
    EXPECT_FALSE(response_has_body(true, 200));
    EXPECT_FALSE(response_has_body(false, 204));
    EXPECT_FALSE(response_has_body(false, 304));
    EXPECT_TRUE(response_has_body(false, 404));
}

TEST(exchange, client_framing_table)
{
    using kind = body_framing::kind;
    struct row
    {
        kind upstream;
        bool body_allowed;
        unsigned version;
        kind want;
    };
    const row rows[] = {
        {kind::chunked, true, 11, kind::chunked},
        {kind::chunked, true, 10, kind::none},         // HTTP/1.0: the close ends the body
        {kind::chunked, false, 11, kind::none},        // HEAD/204/304: no last chunk
        {kind::none, true, 11, kind::chunked},         // close-delimited re-framed: a cut stays visible
        {kind::none, true, 10, kind::none},
        {kind::none, false, 11, kind::none},
        {kind::content_length, true, 11, kind::content_length},
        {kind::content_length, true, 10, kind::content_length},
        {kind::content_length, false, 11, kind::content_length}, // HEAD keeps the length it announces
    };
    for (const auto& r : rows)
    {
        const auto out = client_framing({r.upstream, 7}, r.body_allowed, r.version);
        EXPECT_EQ(out.type, r.want) << int(r.upstream) << " " << r.body_allowed << " " << r.version;
        if (out.type == kind::content_length)
        {
            EXPECT_EQ(out.length, 7u);
        }
    }
}

TEST(exchange, pooling)
{
    EXPECT_TRUE(may_pool(true, false, true, 0));
    EXPECT_FALSE(may_pool(false, false, true, 0)) << "Connection: close";
    EXPECT_FALSE(may_pool(true, true, true, 0)) << "body ended by the close";
    EXPECT_FALSE(may_pool(true, false, false, 0)) << "already closed";
    EXPECT_FALSE(may_pool(true, false, true, 3)) << "bytes after the response: out of step";
}

} // namespace

namespace {

// The one deadline: whoever the phase waits for is blamed, and what it waits on is closed.
TEST(exchange, deadline_table)
{
    using mrb::exchange_phase;
    struct row
    {
        exchange_phase phase;
        mrb::deadline_verdict want;
    };
    const row rows[] = {
        {exchange_phase::idle, {.client_timed_out = true, .close_client = true}},
        {exchange_phase::head, {.client_timed_out = true, .close_client = true}},
        {exchange_phase::replying, {.client_timed_out = true, .close_client = true}},
        {exchange_phase::request_body, {.client_timed_out = true, .close_client = true, .close_upstream = true}},
        {exchange_phase::connecting, {.upstream_timed_out = true, .close_upstream = true}},
        {exchange_phase::response_head, {.upstream_timed_out = true, .close_upstream = true}},
        {exchange_phase::response_body, {.upstream_timed_out = true, .close_client = true, .close_upstream = true}},
    };
    for (const auto& r : rows)
        EXPECT_EQ(mrb::on_deadline(r.phase), r.want) << static_cast<int>(r.phase);
}

} // namespace
