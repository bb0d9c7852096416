#pragma once
// A deliberately small, independent reading of HTTP/1.1 wire text for test assertions.
// It shares no code with the bridge or with Beast, so a parsing bug cannot hide on both sides.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrb::test {

/// A request or response head exactly as received: start line and fields in order.
struct http_head {
    std::string start_line;
    std::vector<std::pair<std::string, std::string>> fields;  ///< name as sent, value OWS-trimmed

    /// Number of fields named `name` (case-insensitive).
    std::size_t count(std::string_view name) const;
    /// Value of the first field named `name`.
    std::optional<std::string> get(std::string_view name) const;
    bool has(std::string_view name) const { return count(name) != 0; }
    /// Status code of a response head (0 if the start line is not a status line).
    int status() const;
};

/// Parses a head ending in CRLFCRLF (the terminator may be omitted). Nullopt if malformed.
std::optional<http_head> parse_head(std::string_view text);

/// Position just past the CRLFCRLF ending the head in `data`, or npos.
std::size_t head_end(std::string_view data);

bool iequals(std::string_view a, std::string_view b);

/// Incremental chunked-body decoder; strict (hex digits only, CRLF only).
class chunked_decoder {
public:
    /// Consumes bytes of `data` up to the end of the message, appending the decoded payload to
    /// `out`. Returns the number of bytes consumed; check failed() for a framing error.
    std::size_t feed(std::string_view data, std::string& out);
    bool done() const { return state_ == state::done; }
    bool failed() const { return state_ == state::error; }
    /// Raw trailer section (lines after the last chunk, without the final CRLF).
    const std::string& trailers() const { return trailers_; }

private:
    enum class state { size_line, data, data_crlf, trailer, done, error };
    state state_ = state::size_line;
    std::string line_;
    std::size_t remaining_ = 0;
    std::string trailers_;
};

/// Splits the payload of a text/event-stream into complete events (blank-line separated).
/// Returns the events seen so far; a trailing incomplete event is left out.
std::vector<std::string> sse_events(std::string_view payload);

}  // namespace mrb::test
