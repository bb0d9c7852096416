#pragma once
// The relay's decisions, sans I/O. The session (bridge/net/relay_session.cpp) reads, writes and
// waits; whenever something goes wrong or an exchange ends, it describes what happened in a
// plain struct and asks here what to do: which flags the access record gets, whether to resend,
// which failure to answer the client with (the status and text come from core/error_reply),
// whether the client connection stays open, what framing goes to the client, whether the proxy
// connection goes back to the pool. Every function is pure and table-tested
// (tests/bridge/exchange_test.cpp).

#include "core/error_reply.hpp"
#include "core/framing_check.hpp"

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>

namespace mrb {

/// Failure flags of one exchange (the `flags` array of the access line).
enum access_flag : unsigned
{
    flag_uf = 1u << 0,  ///< upstream connection failure
    flag_ut = 1u << 1,  ///< upstream timeout
    flag_ur = 1u << 2,  ///< upstream reset / closed early
    flag_upe = 1u << 3, ///< upstream protocol error
    flag_pd = 1u << 4,  ///< proxy policy denial
    flag_dc = 1u << 5,  ///< downstream disconnected
    flag_dpe = 1u << 6, ///< downstream protocol error (400/413/431)
    flag_rj = 1u << 7,  ///< refused by the bridge's policy
};

/// What an exchange is waiting for (the session's one deadline applies to it).
enum class exchange_phase
{
    idle,          ///< a request head's first byte (a new or keep-alive connection)
    head,          ///< the rest of the request head (or, after it, a body being read)
    request_body,  ///< sending the request: client body bytes and upstream writes
    connecting,    ///< the next hop's TCP connection (or name resolution)
    response_head, ///< the next hop's response head: the model may be loading
    response_body, ///< relaying the response
    replying,      ///< the bridge's own answer, or the lingering close after it
};

/// Who the passed deadline blames (the flag and the failure follow from it) and what closes.
struct deadline_verdict
{
    bool client_timed_out = false;
    bool upstream_timed_out = false;
    bool close_client = false;
    bool close_upstream = false;

    friend bool operator==(const deadline_verdict&, const deadline_verdict&) = default;
};
deadline_verdict on_deadline(exchange_phase phase) noexcept;

/// What an error code says about the connection it came from.
enum class io_error
{
    closed,   ///< the peer closed or reset it (EOF, end of stream, reset, broken pipe)
    protocol, ///< the peer sent bytes HTTP does not allow (Beast's parse errors)
    other,    ///< anything else (a message cut short, a cancelled operation, a local error)
};
io_error classify_io_error(const boost::system::error_code& ec) noexcept;

/// Which failure a failed connect or name resolution to the next hop is.
failure connect_failure(const boost::system::error_code& ec, bool timed_out) noexcept;

/// Where an exchange with the next hop failed.
enum class upstream_stage
{
    connect,          ///< no connection (resolve or connect failed)
    send_request,     ///< writing the request head or body
    response_head,    ///< reading the response head
    response_framing, ///< the response head frames its body in a way the bridge refuses
    denial_prefix,    ///< reading the start of a possible proxy denial page
    response_body,    ///< relaying the body: the client already has the head
};

struct upstream_failure_facts
{
    upstream_stage stage = upstream_stage::connect;
    io_error error = io_error::other;
    failure connect_result = failure::proxy_unreachable; ///< stage connect: connect_failure()
    bool timed_out = false;       ///< the next hop's deadline passed
    bool client_gone = false;     ///< the client closed, or its own deadline passed
    bool request_body = false;    ///< the request has a body
    // For the resend rule (core/retry_policy.hpp): only before any response byte.
    bool reused = false;          ///< the connection came from the pool
    bool first_attempt = true;
    bool request_held = false;    ///< every request byte sent so far is still held
    std::size_t response_bytes = 0; ///< response bytes received (or waiting to be read)
};

struct upstream_verdict
{
    enum class action
    {
        resend, ///< send the request again on a fresh connection
        answer, ///< answer the client with `answer` (the access record takes `flags`)
        close,  ///< close the client connection without an answer
    };
    action next = action::close;
    unsigned flags = 0;
    failure answer = failure::proxy_reset;
    bool keep_client = false; ///< the answer offers keep-alive (see keep_client_connection)

    friend bool operator==(const upstream_verdict&, const upstream_verdict&) = default;
};

/// The one error ladder of the relay: from where and how the next hop failed to what happens.
upstream_verdict decide_upstream_failure(const upstream_failure_facts& f) noexcept;

/// Whether the client connection stays open after the bridge's answer: only if the decision
/// offers it, the client asked for it, and the bridge is not draining.
constexpr bool keep_client_connection(bool offered, bool client_keep_alive, bool draining) noexcept
{
    return offered && client_keep_alive && !draining;
}

/// A response to HEAD, a 204 or a 304 has no body (RFC 9110 6.4.1).
constexpr bool response_has_body(bool head_request, unsigned status) noexcept
{
    return !head_request && status != 204 && status != 304;
}

/// The framing towards the client, derived from the upstream decision (never from the fields as
/// received): no last chunk where no body follows, no chunked to an HTTP/1.0 client, and a
/// close-delimited upstream body re-framed as chunked so that a cut stays visible.
body_framing client_framing(const body_framing& upstream, bool body_allowed, unsigned client_version) noexcept;

/// Whether the client connection stays open after a relayed response.
constexpr bool keep_after_response(bool client_keep_alive, bool draining, bool body_allowed,
                                   const body_framing& to_client) noexcept
{
    return client_keep_alive && !draining && !(body_allowed && to_client.type == body_framing::kind::none);
}

/// Whether the proxy connection may serve another request: it said keep-alive, its body was not
/// delimited by the close, and nothing is left over after the response (out of step otherwise).
constexpr bool may_pool(bool upstream_keep_alive, bool upstream_close_delimited, bool open,
                        std::size_t leftover_bytes) noexcept
{
    return upstream_keep_alive && !upstream_close_delimited && open && leftover_bytes == 0;
}

/// What a failed read of the request body means: the client sent too much (413) or bytes HTTP
/// does not allow (400), both answered; or it left or stalled (DC), with nobody to answer.
struct client_verdict
{
    unsigned flags = 0;
    std::optional<failure> answer;

    friend bool operator==(const client_verdict&, const client_verdict&) = default;
};
client_verdict decide_request_body_failure(const boost::system::error_code& ec) noexcept;

/// Which failure a request head that Beast refused is (431, 413 or 400).
failure request_head_failure(const boost::system::error_code& ec) noexcept;

} // namespace mrb
