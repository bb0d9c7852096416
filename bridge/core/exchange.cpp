#include "core/exchange.hpp"

#include "core/retry_policy.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

namespace mrb {
namespace http = boost::beast::http;
namespace aerr = boost::asio::error;
using boost::system::error_code;

deadline_verdict on_deadline(exchange_phase phase) noexcept
{
    switch (phase)
    {
    case exchange_phase::idle:
    case exchange_phase::head:
    case exchange_phase::replying:
        return {.client_timed_out = true, .close_client = true};
    case exchange_phase::request_body:
        return {.client_timed_out = true, .close_client = true, .close_upstream = true};
    case exchange_phase::connecting:
    case exchange_phase::response_head:
        return {.upstream_timed_out = true, .close_upstream = true};
    case exchange_phase::response_body:
        // The client is closed too: the bridge may be stuck writing to a client that does not read.
        return {.upstream_timed_out = true, .close_client = true, .close_upstream = true};
    }
    return {};
}

io_error classify_io_error(const error_code& ec) noexcept
{
    if (ec == aerr::eof || ec == http::error::end_of_stream || ec == aerr::connection_reset ||
        ec == aerr::broken_pipe)
        return io_error::closed;
    // Beast's own parse errors, except those that only mean "closed early".
    if (ec.category() == make_error_code(http::error::bad_version).category() && ec != http::error::partial_message)
        return io_error::protocol;
    return io_error::other;
}

failure connect_failure(const error_code& ec, bool timed_out) noexcept
{
    if (timed_out)
        return failure::proxy_connect_timeout;
    return ec == aerr::connection_refused ? failure::proxy_refused : failure::proxy_unreachable;
}

namespace {

using action = upstream_verdict::action;

constexpr upstream_verdict answer(unsigned flags, failure f, bool keep) noexcept
{
    return {action::answer, flags, f, keep};
}

// Nothing of the response has arrived and the error is the connection closing: a pooled
// connection the proxy had closed, if the resend rule agrees.
bool resend(const upstream_failure_facts& f) noexcept
{
    return may_resend({.reused = f.reused,
                       .first_attempt = f.first_attempt,
                       .response_bytes = f.response_bytes > 0 || f.error != io_error::closed,
                       .request_held = f.request_held,
                       .timed_out = f.timed_out,
                       .client_gone = f.client_gone});
}

// Timeout, protocol error or reset, in that order: the flag and the failure that go together.
upstream_verdict by_cause(const upstream_failure_facts& f, bool keep) noexcept
{
    if (f.timed_out)
        return answer(flag_ut, failure::proxy_timeout, keep);
    if (f.error == io_error::protocol)
        return answer(flag_upe, failure::proxy_bad_response, keep);
    return answer(flag_ur, failure::proxy_reset, keep);
}

} // namespace

// Keep-alive rule: the client connection is offered keep-alive only where it is at a request
// boundary for sure. Before the response, a request without a body always is (its head was read
// whole); one with a body is closed, as the seed did (a conservative choice: the body was read
// whole on every path that gets here, so keeping it would also be correct). Once the upstream
// response head has arrived the request is complete: keep. A timeout waiting for the response
// head closes (the model may still be working on it; nothing more should queue behind it).
upstream_verdict decide_upstream_failure(const upstream_failure_facts& f) noexcept
{
    const bool keep_before_response = !f.request_body;
    switch (f.stage)
    {
    case upstream_stage::connect:
        return answer(f.connect_result == failure::proxy_connect_timeout ? (flag_uf | flag_ut) : flag_uf,
                      f.connect_result, keep_before_response);
    case upstream_stage::send_request:
    case upstream_stage::response_head:
        if (f.client_gone)
            return {action::close, flag_dc, failure::proxy_reset, false};
        if (resend(f))
            return {action::resend, 0, failure::proxy_reset, false};
        if (f.timed_out && f.stage == upstream_stage::response_head)
            return answer(flag_ut, failure::proxy_timeout, false);
        if (f.stage == upstream_stage::send_request && !f.timed_out)
            return answer(flag_ur, failure::proxy_reset, keep_before_response); // a write never parses
        return by_cause(f, keep_before_response);
    case upstream_stage::response_framing:
        return answer(flag_upe, failure::proxy_bad_response, true);
    case upstream_stage::denial_prefix:
        if (f.client_gone)
            return {action::close, flag_dc, failure::proxy_reset, false};
        return by_cause(f, true);
    case upstream_stage::response_body:
    {
        // The head is out: the only honest signal left is a cut connection.
        const unsigned flags = f.client_gone ? flag_dc : by_cause(f, false).flags;
        return {action::close, flags, failure::proxy_reset, false};
    }
    }
    return {};
}

body_framing client_framing(const body_framing& upstream, bool body_allowed, unsigned client_version) noexcept
{
    using kind = body_framing::kind;
    body_framing out = upstream;
    if (!body_allowed && out.type == kind::chunked)
        out.type = kind::none; // no body follows HEAD, 204 or 304: no last chunk either
    else if (body_allowed && out.type == kind::chunked && client_version < 11)
        out.type = kind::none; // HTTP/1.0 client: no chunked, the close ends the body
    else if (body_allowed && out.type == kind::none && client_version >= 11)
        out.type = kind::chunked; // close-delimited upstream re-framed, so a cut stays visible
    return out;
}

client_verdict decide_request_body_failure(const error_code& ec) noexcept
{
    if (ec == http::error::body_limit)
        return {flag_dpe, failure::body_too_large};
    if (classify_io_error(ec) == io_error::protocol)
        return {flag_dpe, failure::bad_request};
    return {flag_dc, std::nullopt};
}

failure request_head_failure(const error_code& ec) noexcept
{
    if (ec == http::error::header_limit)
        return failure::header_too_large;
    if (ec == http::error::body_limit)
        return failure::body_too_large;
    return failure::bad_request;
}

} // namespace mrb
