// Its own translation unit: <linux/tcp.h> (which has tcpi_data_segs_in) clashes with glibc's
// <netinet/tcp.h>, which other test headers include.
#include "tcp_segments.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace fakes::sandbox_proxy::testing {

std::optional<std::uint32_t> data_segments_in(int fd)
{
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
        return std::nullopt;
    return info.tcpi_data_segs_in;
}

} // namespace fakes::sandbox_proxy::testing
