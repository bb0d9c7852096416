#pragma once
// `model-runner-bridge status` asks the admin listener with one synchronous GET (every step has
// a deadline). A small client of its own: it talks to our own admin port, never to the chain.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mrb {

struct admin_answer
{
    unsigned status = 0;
    std::string body;
};

/// GET http://host:port/path; nullopt with `error` (one line) when no answer came in time.
std::optional<admin_answer> admin_get(const std::string& host, std::uint16_t port, const std::string& path,
                                      std::chrono::milliseconds timeout, std::string& error);

} // namespace mrb
