#pragma once

#include "credentials.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace fakes::sandbox_proxy {

/// One request as the proxy received it, what it decided, and what it sent upstream.
struct recorded_request
{
    std::size_t connection = 0;  // id of the client connection (connections()[i].id)
    std::size_t sequence = 0;    // 1 for the first request on that connection
    std::chrono::steady_clock::time_point received_at;

    // As received from the client.
    std::string method;
    std::string target;
    unsigned version = 11;
    header_list headers;
    std::uint64_t body_size = 0;
    /// The client's Host differed from the absolute-form authority and was replaced.
    bool host_replaced = false;

    // The decision.
    bool allowed = false;
    std::string reason;    // verdict_reason name, or "bad_request"
    std::string rule;      // deciding pattern or CIDR
    std::string address;   // the resolved ip:port checked / dialled last
    bool bypass = false;
    std::string injected;  // provider whose key was injected, empty if none

    // As sent upstream (forwarded is false when nothing was sent).
    bool forwarded = false;
    std::string upstream_target;
    header_list upstream_headers;
    std::uint64_t upstream_body_size = 0;
    bool upstream_reused = false;

    // The outcome.
    unsigned status = 0;                 // status sent to the client, 0 if none
    std::uint64_t response_body_bytes = 0;
    std::string error;                   // why it was refused or failed
    bool complete = false;               // the exchange is over
};

/// One client connection.
struct connection_record
{
    std::size_t id = 0;
    std::chrono::steady_clock::time_point accepted_at;
    std::size_t requests = 0;
    bool open = true;
    /// Who ended it: "client", "proxy", "stop", or the fault: "fault:refuse",
    /// "fault:close_after_requests", "fault:idle_close", "fault:reset_after_bytes".
    std::string closed_by;
};

} // namespace fakes::sandbox_proxy
