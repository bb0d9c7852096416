#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>
#include <string_view>

namespace fakes::sandbox_proxy {

/// An IPv4 or IPv6 range such as `127.0.0.0/8` or `::1/128` (a bare address is a /32 or /128).
class cidr_range
{
public:
    /// Throws std::invalid_argument on a malformed range (start-up only).
    static cidr_range
    parse(std::string_view text);

    bool
    contains(const boost::asio::ip::address& addr) const;

    const std::string&
    text() const { return text_; }

private:
    boost::asio::ip::address network_;
    unsigned prefix_ = 0;
    std::string text_;
};

} // namespace fakes::sandbox_proxy
