#pragma once
// An independent, strict HTTP/1.1 request parser for the differential test (RFC 9112): written
// for the test, sharing no code with the bridge or Beast, so a framing bug cannot hide on both
// sides. Strict where the RFC lets a server refuse: bare CR or LF, obs-fold, whitespace before a
// colon, any transfer coding but one `chunked`, Content-Length with Transfer-Encoding, unequal
// Content-Length values, HTTP/1.0 with Transfer-Encoding, no Host in HTTP/1.1.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mrb::fuzz {

struct strict_request
{
    std::string method;
    std::string target;
    std::string body; ///< decoded (chunk framing removed)

    bool operator==(const strict_request&) const = default;
};

struct strict_parse
{
    enum class status { complete, incomplete, error };
    status result = status::incomplete;
    strict_request request;
    std::size_t consumed = 0; ///< bytes of the message, leading empty lines included
    std::string error;
};

/// Parses one request from the start of `bytes`.
strict_parse parse_strict_request(std::string_view bytes);

/// Every complete request in `bytes`, in order; `error` is set (and parsing stops) at the first
/// malformed one, `rest` counts the bytes after the last complete request.
struct strict_stream
{
    std::vector<strict_request> requests;
    std::optional<std::string> error;
    std::size_t rest = 0;
};
strict_stream parse_strict_stream(std::string_view bytes);

/// `http://authority/path?q` -> `/path?q`; origin-form unchanged.
std::string origin_form_of(std::string_view target);

} // namespace mrb::fuzz
