#pragma once
// Loopback port helpers: a port nobody listens on, and a socket that holds one busy.

#include <cstdint>

namespace mrb::test {

/// Binds 127.0.0.1:0, reads the port, closes. Nothing listens there afterwards (until someone
/// else happens to take it), which makes it a "connection refused" address.
std::uint16_t unused_loopback_port();

/// A socket bound and listening on 127.0.0.1:0 for its lifetime (never accepts).
class listening_socket {
public:
    listening_socket();  ///< throws std::system_error
    ~listening_socket();
    listening_socket(const listening_socket&) = delete;
    listening_socket& operator=(const listening_socket&) = delete;
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace mrb::test
