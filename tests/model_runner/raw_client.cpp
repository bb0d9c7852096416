#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace mrb_test {

raw_client::raw_client(std::uint16_t port)
{
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("connect failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    started_ = std::chrono::steady_clock::now();
}

raw_client::~raw_client()
{
    close();
}

void
raw_client::close()
{
    if(fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

void
raw_client::send(const std::string& bytes)
{
    started_ = std::chrono::steady_clock::now();
    std::size_t off = 0;
    while(off < bytes.size())
    {
        auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if(n <= 0)
            throw std::runtime_error("send failed");
        off += static_cast<std::size_t>(n);
    }
}

stream_end
raw_client::read_once(std::chrono::steady_clock::time_point deadline)
{
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if(left.count() <= 0)
        return stream_end::timeout;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if(r == 0)
        return stream_end::timeout;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if(n == 0)
        return stream_end::eof;
    if(n < 0)
        return errno == ECONNRESET ? stream_end::reset : stream_end::error;
    pieces_.push_back({std::chrono::steady_clock::now(), std::string(buf, static_cast<std::size_t>(n))});
    data_.append(buf, static_cast<std::size_t>(n));
    return stream_end::open;
}

stream_end
raw_client::read_to_end(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for(;;)
        if(auto e = read_once(deadline); e != stream_end::open)
            return e;
}

stream_end
raw_client::read_until(const std::string& needle, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while(data_.find(needle) == std::string::npos)
        if(auto e = read_once(deadline); e != stream_end::open)
            return e;
    return stream_end::open;
}

std::string
post(const std::string& target, const std::string& body, const std::string& extra_headers)
{
    return "POST " + target + " HTTP/1.1\r\nHost: localhost:12434\r\nContent-Type: application/json\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string
get(const std::string& target, const std::string& extra_headers)
{
    return "GET " + target + " HTTP/1.1\r\nHost: localhost:12434\r\n" + extra_headers + "\r\n";
}

std::string
head_of(const std::string& r)
{
    auto p = r.find("\r\n\r\n");
    return p == std::string::npos ? r : r.substr(0, p + 4);
}

std::string
body_of(const std::string& r)
{
    auto p = r.find("\r\n\r\n");
    return p == std::string::npos ? std::string() : r.substr(p + 4);
}

bool
dechunk(const std::string& body, std::string& out)
{
    std::size_t pos = 0;
    out.clear();
    for(;;)
    {
        auto eol = body.find("\r\n", pos);
        if(eol == std::string::npos)
            return false;
        std::size_t size = 0;
        try
        {
            std::size_t used = 0;
            size = std::stoul(body.substr(pos, eol - pos), &used, 16);
            if(used != eol - pos)
                return false;
        }
        catch(...)
        {
            return false;
        }
        pos = eol + 2;
        if(size == 0)
            return body.compare(pos, 2, "\r\n") == 0;
        if(pos + size + 2 > body.size() || body.compare(pos + size, 2, "\r\n") != 0)
            return false;
        out.append(body, pos, size);
        pos += size + 2;
    }
}

std::size_t
count_events(const std::string& text)
{
    std::size_t n = 0;
    for(std::size_t p = text.find("data: "); p != std::string::npos; p = text.find("data: ", p + 6))
        if(p == 0 || text[p - 1] == '\n')
            ++n;
    return n;
}

} // namespace mrb_test
