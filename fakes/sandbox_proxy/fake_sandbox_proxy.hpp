#pragma once

// The fake Docker sandbox proxy (`docker sandbox network proxy`): an HTTP/1.1 forward proxy
// with the documented policy engine, deny replies, credential injection, network log and
// faults. See docs/fake-sandbox-proxy.md.

#include "credentials.hpp"
#include "deny_reply.hpp"
#include "network_log.hpp"
#include "policy.hpp"
#include "proxy_options.hpp"
#include "recorded_request.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace fakes::sandbox_proxy {

class fake_sandbox_proxy
{
public:
    explicit fake_sandbox_proxy(proxy_options options = {});
    ~fake_sandbox_proxy();
    fake_sandbox_proxy(const fake_sandbox_proxy&) = delete;
    fake_sandbox_proxy& operator=(const fake_sandbox_proxy&) = delete;

    /// Binds 127.0.0.1:<options.port> (0 = ephemeral) and serves on its own threads.
    /// Throws boost::system::system_error when it cannot listen.
    void
    start();

    std::uint16_t
    port() const;

    /// Closes the listener and every connection; idempotent.
    void
    stop();

    /// The interception CA's certificate (PEM) a client must trust; empty in tunnel mode.
    std::string
    ca_cert_pem() const;

    /// The `docker sandbox network log` entries so far.
    std::vector<network_log_entry>
    network_log() const;

    std::vector<recorded_request>
    requests() const;

    std::vector<connection_record>
    connections() const;

    /// Forgets recorded requests and log entries (connections stay).
    void
    clear_records();

    testing::AssertionResult
    wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

    /// Waits until `n` requests are complete (answered, denied, failed or cut).
    testing::AssertionResult
    wait_for_completed_requests(std::size_t n, std::chrono::milliseconds timeout) const;

    testing::AssertionResult
    wait_for_log_entries(std::size_t n, std::chrono::milliseconds timeout) const;

    testing::AssertionResult
    wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const;

    /// Waits until `n` client connections have been closed (by either side).
    testing::AssertionResult
    wait_for_closed_connections(std::size_t n, std::chrono::milliseconds timeout) const;

    /// Takes effect for the next request ("changes take effect immediately").
    /// Throws std::invalid_argument on a malformed rule.
    void
    set_policy(const policy_rules& rules);

    /// Takes effect for the next accept / request; `refuse` opens or closes the listener.
    void
    set_faults(const proxy_faults& faults);

    proxy_faults
    faults() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace fakes::sandbox_proxy
