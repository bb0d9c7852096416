#include "loopback_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace mrb::test {

namespace {

int bind_loopback_zero(std::uint16_t& port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "bind 127.0.0.1:0");
    }
    port = ntohs(addr.sin_port);
    return fd;
}

}  // namespace

std::uint16_t unused_loopback_port()
{
    std::uint16_t port = 0;
    ::close(bind_loopback_zero(port));
    return port;
}

listening_socket::listening_socket()
{
    fd_ = bind_loopback_zero(port_);
    if (::listen(fd_, 16) != 0) {
        const int e = errno;
        ::close(fd_);
        throw std::system_error(e, std::generic_category(), "listen");
    }
}

listening_socket::~listening_socket()
{
    ::close(fd_);
}

}  // namespace mrb::test
