#pragma once
// Log lines on stderr: text (`ts level msg key=value...`) or JSON Lines (`ts`, `level`, `msg`,
// fields). One access line per request with the fields the process contract names
// (docs/architecture.md). Thread-safe; a line is written with a single write().

#include "core/bridge_config.hpp"
#include "core/exchange.hpp" // access_flag

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mrb {

struct access_record
{
    std::string method;
    std::string path;
    unsigned status = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::int64_t dur_us = 0;
    std::int64_t ttfb_us = -1; ///< -1 until the first response byte
    std::uint64_t sse_events = 0;
    bool upstream_reused = false;
    bool retried = false;
    unsigned flags = 0;
    std::string detail; ///< short cause for failures (never a credential)
    /// Set when the bridge answered with its own error (send_error): for the metrics and the
    /// failure journal.
    std::optional<failure> answered;
    std::string failure_kind; ///< to_string(failure); empty when the bridge sent no error
    std::string failure_hop;  ///< "proxy", "model_runner" or "client"
    std::string failure_message;
    std::string failure_fix;
    unsigned failure_status = 0; ///< the failure's own status, also when answered as a chat reply (200)
};

class failure_journal;

class access_log
{
public:
    access_log(log_format format, log_level level, std::FILE* out = stderr);

    bool enabled(log_level level) const noexcept { return level >= level_; }
    void write(log_level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
    /// Fields in the order given (text lines show them in that order).
    void write_ordered(log_level level, std::string_view msg, const nlohmann::ordered_json& fields);
    void access(const access_record& record);
    /// Keeps the record's failure as its hop's last one (when a journal is kept, below). Called
    /// before the bridge's answer is written, so a client that has read the answer finds it.
    void note_failure(const access_record& record);

    /// From now on each access record with a failure is kept as its hop's last failure in
    /// ${XDG_STATE_HOME:-$HOME/.local/state}/model-runner-bridge/last-failures-<port>.json
    /// (core/failure_journal.hpp). No HOME and no XDG_STATE_HOME: nothing is kept.
    void open_failure_journal(unsigned port);

    /// The flag names in contract order ("UF", "UT", ...).
    static nlohmann::json flag_names(unsigned flags);

private:
    void write_line(const std::string& line);
    template <class Json>
    void write_fields(log_level level, std::string_view msg, const Json& fields);

    log_format format_;
    log_level level_;
    std::FILE* out_;
    std::mutex mutex_;
    std::shared_ptr<failure_journal> journal_;
};

} // namespace mrb
