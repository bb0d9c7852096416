#pragma once
// The bridge's own request-smuggling defences. Boost 1.81's HTTP parser is lax (CL+TE, TE not
// ending in chunked, HTTP/1.0 + chunked, bare CR...), so every request head is checked twice
// before anything goes upstream: on the raw bytes, then on the parsed header.

#include <boost/beast/http/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mrb {

enum class framing_error
{
    none,
    bare_cr,                    ///< CR not followed by LF
    bare_lf,                    ///< LF not preceded by CR
    nul_byte,
    control_byte,               ///< other CTL byte (not HTAB) in a field
    obs_fold,                   ///< line starting with SP/HTAB (also whitespace before the first field)
    space_before_colon,
    empty_field_name,
    missing_colon,
    content_length_with_transfer_encoding,
    transfer_encoding_not_chunked,  ///< anything but exactly one `chunked` over all Transfer-Encoding fields
    invalid_content_length,
    conflicting_content_length,
    chunked_in_http10,
    missing_host,
    duplicate_host,
    invalid_host,
    bad_chunk,                  ///< chunk size/extension/line ending/data terminator malformed
    framing_in_trailer,         ///< Content-Length, Transfer-Encoding or Host in a trailer
};

/// Human-readable cause (goes into the 400 body and the log).
std::string_view describe(framing_error e) noexcept;

/// Checks the raw request head: the bytes from the request line up to and including the empty
/// line (CRLFCRLF).
framing_error check_raw_head(std::string_view head) noexcept;

/// How a message body is delimited: the one framing decision. It is made once from the checked
/// head, and the forwarded head is re-derived from it (apply_framing), never copied: a field the
/// check saw but the serializer reads differently (two Transfer-Encoding fields, `2, 2`) cannot
/// reach the next hop.
struct body_framing
{
    enum class kind
    {
        none,           ///< requests: no body; responses: no framing fields (close-delimited)
        content_length,
        chunked,
    };
    kind type = kind::none;
    std::uint64_t length = 0; ///< for content_length
};

struct framing_decision
{
    framing_error error = framing_error::none;
    body_framing body;
};

/// Checks the parsed request header's framing fields and Host, and decides the body framing.
/// `chunked` is the only transfer coding accepted (one element over all Transfer-Encoding
/// fields); Content-Length values (fields and lists) must all be equal digits.
framing_decision decide_request_framing(const boost::beast::http::request_header<>& header);

/// The same for a response head from upstream (no Host rules). The caller answers 502 and
/// discards the connection on an error.
framing_decision decide_response_framing(const boost::beast::http::response_header<>& header);

/// Replaces every Content-Length and Transfer-Encoding field with the one the decision implies
/// (`Transfer-Encoding: chunked`, or one `Content-Length`, or neither).
void apply_framing(boost::beast::http::fields& fields, const body_framing& body);

/// Shorthands kept for tests and callers that only need the verdict.
inline framing_error check_request_framing(const boost::beast::http::request_header<>& header)
{
    return decide_request_framing(header).error;
}
inline framing_error check_response_framing(const boost::beast::http::response_header<>& header)
{
    return decide_response_framing(header).error;
}

/// Checks a chunked body incrementally, every byte as it arrives, however the bytes are split:
/// chunk-size lines (1-15 hex digits, optional `;` extension without control bytes, CRLF), data
/// followed by CRLF, then a trailer section without framing fields. Stricter than Boost 1.81's
/// parser, which waits forever on a bare LF and lets trailers carry framing.
class chunk_checker
{
public:
    /// Feeds the next bytes. Returns how many of them belong to the body: all of them, unless the
    /// body ends (or an error is found) within `bytes`. Once done() or failed, feeds consume 0.
    std::size_t feed(std::string_view bytes) noexcept;
    bool done() const noexcept { return state_ == state::done; }
    /// bad_chunk or framing_in_trailer once a malformed byte was seen; none otherwise.
    framing_error error() const noexcept { return error_; }

private:
    enum class state : std::uint8_t
    {
        size,           ///< chunk-size digits
        ext,            ///< after `;` up to CR
        size_lf,        ///< LF after a chunk line
        data,
        data_cr,
        data_lf,
        trailer_start,  ///< a trailer field, or CR of the final empty line
        trailer_name,
        trailer_value,
        trailer_lf,
        last_lf,
        done,
        failed,
    };
    void fail(framing_error e) noexcept
    {
        state_ = state::failed;
        error_ = e;
    }
    void end_trailer_name() noexcept;

    static constexpr std::size_t max_digits = 15;
    static constexpr std::size_t max_line = 4096; ///< chunk extension or trailer field bytes

    state state_ = state::size;
    framing_error error_ = framing_error::none;
    std::uint64_t remaining_ = 0; ///< chunk size being read, then data bytes still due
    std::size_t count_ = 0;       ///< digits, or bytes of the current extension / trailer line
    std::string name_;            ///< trailer field name (first bytes; only short names matter)
};

/// Checks the start of a chunked body: as many bytes as are at hand, complete or not.
inline framing_error check_chunked_prefix(std::string_view bytes) noexcept
{
    chunk_checker c;
    c.feed(bytes);
    return c.error();
}

} // namespace mrb
