#include "upstream_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace mrb {

using boost::system::error_code;

upstream_pool::upstream_pool(std::chrono::milliseconds max_idle, std::size_t max_size)
    : max_idle_(max_idle), max_size_(max_size)
{
}

upstream_pool::~upstream_pool()
{
    clear();
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
        error_code ignored;
        idle_.front().s.close(ignored); // its pending wait completes as aborted
        idle_.pop_front();
    }
}

// An idle connection has nothing to say: readable means EOF, a reset or junk, and each means
// it must go now (an EOF left unanswered keeps our side in CLOSE-WAIT).
void upstream_pool::watch(entry& e)
{
    e.s.async_wait(socket::wait_read, [this, id = e.id](error_code ec) { on_readable(id, ec); });
}

void upstream_pool::on_readable(std::uint64_t id, const error_code& ec)
{
    if (ec == boost::asio::error::operation_aborted)
        return; // taken, closed or cleared
    const auto it = std::find_if(idle_.begin(), idle_.end(), [id](const entry& e) { return e.id == id; });
    if (it == idle_.end())
        return;
    error_code ignored;
    it->s.close(ignored);
    idle_.erase(it);
}

// One timer per pool, armed while the pool holds anything, for the oldest entry's expiry.
void upstream_pool::arm_timer()
{
    if (timer_armed_ || idle_.empty())
        return;
    timer_armed_ = true;
    timer_->expires_at(idle_.front().since + max_idle_);
    timer_->async_wait([this](error_code ec) {
        if (ec == boost::asio::error::operation_aborted)
            return;
        timer_armed_ = false;
        evict_expired(clock::now());
        arm_timer();
    });
}

std::optional<upstream_pool::socket> upstream_pool::take()
{
    evict_expired(clock::now());
    while (!idle_.empty())
    {
        socket s = std::move(idle_.back().s);
        idle_.pop_back();
        error_code ignored;
        s.cancel(ignored); // the readability watch belongs to the pool, not to the next user
        if (is_alive(s))
            return s;
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
        error_code ignored;
        idle_.front().s.close(ignored);
        idle_.pop_front();
    }
    if (!timer_)
        timer_.emplace(s.get_executor());
    idle_.push_back({std::move(s), now, next_id_++});
    watch(idle_.back());
    arm_timer();
}

void upstream_pool::clear()
{
    for (auto& e : idle_)
    {
        error_code ignored;
        e.s.close(ignored);
    }
    idle_.clear();
    if (timer_)
    {
        timer_->cancel();
        timer_armed_ = false;
    }
}

} // namespace mrb
