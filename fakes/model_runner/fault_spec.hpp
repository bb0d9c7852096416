#pragma once
// fault_spec: which faults to inject into one response. Set per instance (options "faults",
// --fault, set_fault()) or per request with the header
//
//   x-fake-fault: <fault>[;<key>=<value>]*[, <fault>...]
//
// Values are percent-decoded (so a body may carry ';' or ','). The same faults as JSON:
// an array of {"kind":"<fault>", "<key>":<value>, ...} (or one such object). "after_events=N"
// counts SSE events already sent (the role chunk is event 1); where a fault accepts it and
// it is absent, the fault happens BEFORE the response headers. For a non-streamed body,
// any after_events value means "after the headers and half the body".
//
//   latency;ms=N                 delay before the first response byte (toxiproxy latency)
//   bandwidth;kbps=N             N KiB per second
//   slicer;size=N;delay_us=U     split every write into N-byte segments, U us apart
//   coalesce;events=N            N SSE events per write (several events in one segment);
//                                events=1 forces one write per event even without pacing
//   limit_data;bytes=N           close (FIN) after N response bytes, headers included
//   slow_close;ms=N              response carries Connection: close; FIN delayed N ms
//   reset_peer[;after_events=N]  RST (SO_LINGER 0) before headers / after N events
//   timeout[;after_events=N][;ms=M]  stall: send nothing more; close after M ms (0/absent:
//                                hold until the client closes)
//   load_delay;ms=N              model loading: no headers for N ms
//   status;code=C[;body=B][;content_type=T]  answer C with body B (default DMR-style text)
//   runner_died[;message=M]      DMR's 500 for a runner that died mid-request: the JSON error
//                                as text/plain (sniffed: the status went out first), no nosniff
//   truncate;after_events=N[;close=1]  end the body after N events without finish/[DONE]:
//                                a clean last chunk, or (close=1) a cut connection
//   malformed_chunk;after_events=N   event N+1 is broken JSON, then the stream continues
//   invalid_framing;mode=M[;after_events=N]  M = bad_chunk_size (a non-hex chunk size after
//                                N events), cl_and_te (both Content-Length and chunked),
//                                bad_status_line
//   close_delimited              no chunking: body ends when the connection closes

#include <http_kit/fault_writer.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace fakes::model_runner {

struct fault_spec
{
    http_kit::toxics toxics;
    /// Events per write; 0 = automatic: all ready events in one write when there is no pacing
    /// (token_interval 0, the cheap path for benches), else one event per write.
    std::size_t coalesce_events = 0;
    std::optional<std::chrono::milliseconds> load_delay;

    /// -1 = before headers; N >= 0 = after N events.
    std::optional<int> reset_peer_after;
    struct stall_fault { int after_events = -1; std::chrono::milliseconds max{0}; };
    std::optional<stall_fault> stall;
    /// `sniffed`: the content type is what Go's sniffing chose, so no X-Content-Type-Options.
    struct status_fault { int code = 500; std::string body; std::string content_type; bool sniffed = false; };
    std::optional<status_fault> status;
    struct truncate_fault { int after_events = 1; bool close = false; };
    std::optional<truncate_fault> truncate;
    std::optional<int> malformed_after;
    enum class framing_mode { bad_chunk_size, cl_and_te, bad_status_line };
    struct framing_fault { framing_mode mode = framing_mode::bad_chunk_size; int after_events = 1; };
    std::optional<framing_fault> invalid_framing;
    bool close_delimited = false;

    bool empty() const;
    /// Faults of `other` override those set here (per-request header over instance faults).
    void merge(const fault_spec& other);
};

/// Parses the JSON form (array or single object). Throws std::invalid_argument naming the
/// bad fault or key.
fault_spec fault_spec_from_json(const nlohmann::json& j);

/// Parses the header form. Returns std::nullopt and sets `error` if it is invalid.
std::optional<fault_spec> parse_fault_header(std::string_view value, std::string& error);

/// The header form converted to the JSON form (what parse_fault_header parses).
nlohmann::json fault_header_to_json(std::string_view value);

} // namespace fakes::model_runner
