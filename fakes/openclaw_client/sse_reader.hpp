#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fakes::openclaw {

/// One dispatched SSE event, or one comment line (kept because fake-model-runner can put the
/// time it sent each event in a comment, which lets latency through the chain be measured).
struct sse_event
{
    bool is_comment = false;
    std::string type = "message";  // the `event:` field
    std::string data;               // `data:` lines joined with LF; the comment text for comments
    std::string id;
};

/// Incremental text/event-stream parser (WHATWG HTML "Parsing an event stream"): accepts any
/// split of the bytes, CRLF, LF or CR line ends (a CR at the end of one chunk and an LF at the
/// start of the next are one line end), a leading BOM, comments, and unknown fields.
class sse_reader
{
public:
    /// Parses `bytes` and appends every event and comment completed by them, in order.
    void feed(std::string_view bytes, std::vector<sse_event>& out);

    /// True when bytes of an event not yet dispatched are pending (a stream cut mid-event).
    bool has_partial_event() const;

    std::size_t events_dispatched() const { return dispatched_; }

private:
    void process_line(std::string_view line, std::vector<sse_event>& out);

    std::string line_;
    bool after_cr_ = false;
    bool first_line_ = true;
    bool has_data_ = false;
    std::string data_;
    std::string type_;
    std::string id_;
    std::size_t dispatched_ = 0;
};

}  // namespace fakes::openclaw
