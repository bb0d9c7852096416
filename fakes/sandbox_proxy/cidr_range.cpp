#include "cidr_range.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <stdexcept>

namespace fakes::sandbox_proxy {

namespace ip = boost::asio::ip;

cidr_range
cidr_range::parse(std::string_view text)
{
    cidr_range r;
    r.text_ = std::string(text);
    std::string s(text);
    if(s.find('/') == std::string::npos)
        s += s.find(':') == std::string::npos ? "/32" : "/128";
    boost::system::error_code ec;
    if(s.find(':') == std::string::npos)
    {
        auto net = ip::make_network_v4(s, ec);
        if(ec)
            throw std::invalid_argument("bad CIDR '" + r.text_ + "'");
        r.network_ = net.network();
        r.prefix_ = static_cast<unsigned>(net.prefix_length());
    }
    else
    {
        auto net = ip::make_network_v6(s, ec);
        if(ec)
            throw std::invalid_argument("bad CIDR '" + r.text_ + "'");
        r.network_ = net.network();
        r.prefix_ = static_cast<unsigned>(net.prefix_length());
    }
    return r;
}

bool
cidr_range::contains(const ip::address& addr) const
{
    // An IPv4-mapped IPv6 address is the IPv4 address for policy purposes.
    ip::address a = addr;
    if(a.is_v6() && a.to_v6().is_v4_mapped())
        a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
    if(a.is_v4() != network_.is_v4())
        return false;
    if(a.is_v4())
    {
        auto const mask = prefix_ == 0 ? 0u : ~0u << (32 - prefix_);
        return (a.to_v4().to_uint() & mask) == (network_.to_v4().to_uint() & mask);
    }
    auto const lhs = a.to_v6().to_bytes();
    auto const rhs = network_.to_v6().to_bytes();
    unsigned bits = prefix_;
    for(std::size_t i = 0; i < lhs.size() && bits > 0; ++i)
    {
        unsigned const take = bits >= 8 ? 8 : bits;
        auto const mask = static_cast<unsigned char>(0xff << (8 - take));
        if((lhs[i] & mask) != (rhs[i] & mask))
            return false;
        bits -= take;
    }
    return true;
}

} // namespace fakes::sandbox_proxy
