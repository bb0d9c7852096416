#include "resolver.hpp"

#include "host_pattern.hpp"

#include <stdexcept>

namespace fakes::sandbox_proxy {

namespace ip = boost::asio::ip;

void
resolver::add_override(std::string_view spec)
{
    auto eq = spec.find('=');
    if(eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size())
        throw std::invalid_argument("--resolve wants host=addr[:port], got '" +
            std::string(spec) + "'");
    auto [name, name_port] = split_host_port(spec.substr(0, eq));
    auto [addr_text, port] = split_host_port(spec.substr(eq + 1));
    boost::system::error_code ec;
    auto addr = ip::make_address(addr_text, ec);
    if(ec)
        throw std::invalid_argument("--resolve target must be an IP address, got '" +
            addr_text + "'");
    auto key = lower_host(name);
    if(name_port)
        key += ":" + std::to_string(*name_port);
    overrides_[key] = target{addr, port};
}

std::vector<resolved_endpoint>
resolver::resolve(std::string_view host, std::uint16_t port) const
{
    // A port-specific override first, then a host-wide one.
    auto it = overrides_.find(std::string(host) + ":" + std::to_string(port));
    if(it == overrides_.end())
        it = overrides_.find(host);
    if(it != overrides_.end())
        return {{it->second.address, it->second.port.value_or(port), true}};

    boost::system::error_code ec;
    auto literal = ip::make_address(host, ec);
    if(!ec)
        return {{literal, port, false}};

    auto const v4 = resolved_endpoint{ip::address_v4::loopback(), port, false};
    auto const v6 = resolved_endpoint{ip::address_v6::loopback(), port, false};
    if(host == "localhost")
    {
        if(order_ == localhost_order::ipv6_first)
            return {v6, v4};
        return {v4, v6};
    }
    if(host == "ip6-localhost" || host == "ip6-loopback")
        return {v6};
    return {};
}

} // namespace fakes::sandbox_proxy
