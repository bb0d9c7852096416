#pragma once

#include "credentials.hpp"
#include "mitm_ca.hpp"
#include "network_log.hpp"
#include "policy.hpp"
#include "proxy_options.hpp"
#include "recorded_request.hpp"
#include "resolver.hpp"

#include <fstream>
#include <memory>
#include <mutex>
#include <vector>

namespace fakes::sandbox_proxy {

/// Everything the sessions share: configuration snapshots, recorders, the network log.
/// Thread-safe; sessions take a snapshot of policy and faults per request.
class proxy_state
{
public:
    explicit proxy_state(const proxy_options& options);

    const proxy_options&
    options() const { return options_; }
    const resolver&
    names() const { return resolver_; }
    const credentials&
    keys() const { return credentials_; }
    /// The interception CA (null in connect_mode::tunnel).
    mitm_ca*
    ca() const { return ca_.get(); }

    std::shared_ptr<const policy>
    current_policy() const;
    void
    set_policy(const policy_rules& rules);

    proxy_faults
    faults() const;
    void
    set_faults(const proxy_faults& faults);

    std::size_t
    open_connection();
    void
    close_connection(std::size_t id, const std::string& by);
    void
    count_request(std::size_t id);

    /// Returns the index for update_request.
    std::size_t
    add_request(const recorded_request& r);
    void
    update_request(std::size_t index, const recorded_request& r);

    /// Records and writes to the --network-log file.
    void
    log(network_log_entry e);

    std::vector<recorded_request>
    requests() const;
    std::vector<connection_record>
    connections() const;
    std::vector<network_log_entry>
    log_entries() const;
    /// Forgets recorded requests and log entries (not connections).
    void
    clear_records();

private:
    proxy_options options_;
    resolver resolver_;
    credentials credentials_;
    std::unique_ptr<mitm_ca> ca_;

    mutable std::mutex mutex_;
    std::shared_ptr<const policy> policy_;
    proxy_faults faults_;
    std::vector<recorded_request> requests_;
    std::size_t base_ = 0; // index of requests_[0]
    std::vector<connection_record> connections_;
    std::vector<network_log_entry> log_;
    std::ofstream log_file_;
};

} // namespace fakes::sandbox_proxy
