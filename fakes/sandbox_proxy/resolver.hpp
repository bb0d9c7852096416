#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fakes::sandbox_proxy {

/// Which loopback address `localhost` yields first. The legacy proxy was seen trying `::1`
/// first, which the default `::1/128` block then denied (the ralph datapoint, §1.2).
enum class localhost_order { ipv4_first, ipv6_first };

/// One resolved destination: the address the policy checks and the port to dial.
struct resolved_endpoint
{
    boost::asio::ip::address address;
    std::uint16_t port = 0;
    bool overridden = false; // from --resolve
};

/// Sans-I/O name resolution for the fake: IP literals, the loopback names, and `--resolve`
/// overrides. Any other name does not resolve (the fake never touches real DNS).
class resolver
{
public:
    /// Adds `host=addr[:port]` (also `host:port=addr:port` to override one port only).
    /// Throws std::invalid_argument on a malformed entry (start-up only).
    void
    add_override(std::string_view spec);

    void
    set_localhost_order(localhost_order order) { order_ = order; }

    /// All candidate endpoints for `host:port`, in the order they are tried; empty when the
    /// name does not resolve. `host` must be normalised (policy::normalize_host).
    std::vector<resolved_endpoint>
    resolve(std::string_view host, std::uint16_t port) const;

private:
    struct target
    {
        boost::asio::ip::address address;
        std::optional<std::uint16_t> port;
    };
    // key: "host" or "host:port"
    std::map<std::string, target, std::less<>> overrides_;
    localhost_order order_ = localhost_order::ipv4_first;
};

} // namespace fakes::sandbox_proxy
