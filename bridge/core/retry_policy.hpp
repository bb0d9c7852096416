#pragma once
// When the bridge sends a request a second time. A pooled proxy connection can be closed by the
// proxy just as it is reused (its idle timeout racing ours): the request then meets EOF or a
// reset with no answer, and the proxy never acted on it. That is the seed bridge's intermittent
// 502. Resending is safe exactly when nothing came back and every byte sent can be sent again.

namespace mrb {

struct resend_facts
{
    bool reused = false;          ///< the connection came from the pool
    bool first_attempt = true;    ///< at most one resend per request
    bool response_bytes = false;  ///< any byte of a response arrived
    bool request_held = false;    ///< every request byte sent so far is still held (replay limit)
    bool timed_out = false;       ///< the next hop's deadline passed: slow, not stale
    bool client_gone = false;     ///< nobody is waiting for the answer
};

/// Resend once, on a fresh connection, when a reused connection failed before any response byte
/// and the whole request is still held. Any method: a proxy that closed the connection before
/// answering never forwarded the request.
constexpr bool may_resend(const resend_facts& f) noexcept
{
    return f.reused && f.first_attempt && !f.response_bytes && f.request_held && !f.timed_out && !f.client_gone;
}

} // namespace mrb
