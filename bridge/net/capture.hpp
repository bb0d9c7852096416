#pragma once
// --capture FILE: one JSON object per exchange (JSON Lines), for replaying and debugging what went
// over the wire. Heads both sides with credential values redacted, body sizes, the time of every
// relayed chunk and SSE event, how the exchange ended; bodies with --capture-bodies.
// Format: docs/capture.md. Thread-safe.

#include <nlohmann/json.hpp>

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace mrb {

class capture
{
public:
    /// Opens (appends to) `path`. Throws std::runtime_error.
    capture(const std::string& path, bool bodies);
    ~capture();
    capture(const capture&) = delete;
    capture& operator=(const capture&) = delete;

    bool bodies() const noexcept { return bodies_; }
    void write(const nlohmann::json& exchange);

    /// Header fields whose values never reach a log or a capture.
    static bool is_credential(std::string_view field_name) noexcept;

private:
    std::mutex mutex_;
    std::FILE* file_;
    bool bodies_;
};

} // namespace mrb
