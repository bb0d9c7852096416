#pragma once
// A real Squid (the Debian package) started in the foreground on a free loopback port with a
// generated allowlisting config: the sandbox proxy's stand-in for end-to-end tests.

#include "child_process.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mrb::test {

struct squid_options {
    std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1"};  ///< dstdomain -n
    std::vector<std::uint16_t> allowed_ports;  ///< destination ports allowed (required)
    int client_idle_pconn_timeout_s = 0;       ///< 0 = Squid's default (2 min)
    std::string extra_config;                  ///< appended verbatim
    std::string program = "/usr/sbin/squid";
};

/**
 * start() writes `<run>/squid.conf` (run folder under /tmp, owned by user `proxy` since Squid
 * started as root drops to it), starts `squid -N -d 1 -f`, and waits until the port accepts.
 * If Squid cannot bind the chosen port it retries with another. The destructor SIGKILLs it
 * (SIGTERM takes seconds) and removes the run folder.
 */
class squid_instance {
public:
    explicit squid_instance(squid_options opts);
    ~squid_instance();
    squid_instance(const squid_instance&) = delete;
    squid_instance& operator=(const squid_instance&) = delete;

    testing::AssertionResult start(std::chrono::milliseconds timeout = std::chrono::seconds(15));
    std::uint16_t port() const { return port_; }
    const std::string& run_dir() const { return run_dir_; }
    /// Squid's access.log and cache.log so far (for failure messages).
    std::string access_log() const;
    std::string cache_log() const;

private:
    std::string config(std::uint16_t port) const;

    squid_options options_;
    std::string run_dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<child_process> child_;
};

}  // namespace mrb::test
