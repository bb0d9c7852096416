#pragma once
// The bridge's own request-smuggling defences. Boost 1.81's HTTP parser is lax (CL+TE, TE not
// ending in chunked, HTTP/1.0 + chunked, bare CR...), so every request head is checked twice
// before anything goes upstream: on the raw bytes, then on the parsed header.

#include <boost/beast/http/message.hpp>

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
    transfer_encoding_not_chunked,  ///< final coding not chunked, chunked twice, unknown coding, empty element
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

/// Checks the start of a chunked body: as many bytes as are at hand, complete or not. Stricter
/// than Boost 1.81's parser (which waits forever on bare LF and lets trailers carry framing).
framing_error check_chunked_prefix(std::string_view bytes) noexcept;

/// Checks the parsed request header's framing fields and Host.
framing_error check_request_framing(const boost::beast::http::request_header<>& header);

/// Checks a response header from upstream: CL+TE, invalid or conflicting CL, TE not ending in
/// chunked. The caller answers 502 and discards the connection.
framing_error check_response_framing(const boost::beast::http::response_header<>& header);

} // namespace mrb
