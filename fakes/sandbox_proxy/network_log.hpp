#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace fakes::sandbox_proxy {

/// One line of `docker sandbox network log` (external-systems.md §1.6), plus the details the
/// fake knows (rule, reason, resolved address) for tests; the text and JSON renderings carry
/// only the documented fields.
struct network_log_entry
{
    std::chrono::system_clock::time_point timestamp;
    std::string sandbox;
    std::string type = "request";
    std::string method;
    std::string url;       // absolute URL; CONNECT host:443 is logged as https://host/
    bool allowed = false;
    // Not part of the documented format:
    std::string reason;
    std::string rule;
    std::string address;
};

/// Sans-I/O renderers of the log formats.
class network_log
{
public:
    /// `2026-01-29T10:15:25Z sandbox=my-sandbox request GET https://x/ denied`
    static std::string
    text_line(const network_log_entry& e);

    /// One entry object of the `--json` output.
    static nlohmann::ordered_json
    json_entry(const network_log_entry& e);

    /// The whole `--json` document: `{"entries":[...]}`.
    static std::string
    json_document(const std::vector<network_log_entry>& entries);

    /// RFC 3339 UTC with second precision, `Z` suffix.
    static std::string
    rfc3339(std::chrono::system_clock::time_point t);

    /// The URL logged for a CONNECT to `host:port`.
    static std::string
    connect_url(const std::string& host, unsigned port);
};

} // namespace fakes::sandbox_proxy
