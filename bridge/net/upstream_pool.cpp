#include "upstream_pool.hpp"

#include <cerrno>
#include <sys/socket.h>

namespace mrb {

upstream_pool::upstream_pool(std::chrono::milliseconds max_idle, std::size_t max_size)
    : max_idle_(max_idle), max_size_(max_size)
{
}

bool upstream_pool::is_alive(socket& s) noexcept
{
    if (!s.is_open())
        return false;
    char byte;
    const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    // 0: the proxy closed it (FIN). >0: bytes nobody asked for (a late or bogus response).
    // -1 with EAGAIN: open and quiet, the only reusable state.
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void upstream_pool::evict_expired(clock::time_point now)
{
    // Oldest at the front. Dropping connections idle longer than max_idle keeps us clear of the
    // proxy's own idle timeout, where a reuse would race its close.
    while (!idle_.empty() && now - idle_.front().since >= max_idle_)
    {
        boost::system::error_code ignored;
        idle_.front().s.close(ignored);
        idle_.pop_front();
    }
}

std::optional<upstream_pool::socket> upstream_pool::take()
{
    evict_expired(clock::now());
    while (!idle_.empty())
    {
        socket s = std::move(idle_.back().s);
        idle_.pop_back();
        if (is_alive(s))
            return s;
        boost::system::error_code ignored;
        s.close(ignored);
    }
    return std::nullopt;
}

void upstream_pool::put(socket s)
{
    const auto now = clock::now();
    evict_expired(now);
    if (max_size_ == 0 || !s.is_open())
        return;
    if (idle_.size() >= max_size_)
    {
        boost::system::error_code ignored;
        idle_.front().s.close(ignored);
        idle_.pop_front();
    }
    idle_.push_back({std::move(s), now});
}

void upstream_pool::clear()
{
    for (auto& e : idle_)
    {
        boost::system::error_code ignored;
        e.s.close(ignored);
    }
    idle_.clear();
}

} // namespace mrb
