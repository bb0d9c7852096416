#include "failure_journal.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace mrb {

failure_journal::failure_journal(std::filesystem::path file) : file_(std::move(file)) {}

failure_journal::~failure_journal()
{
    std::string ignored;
    flush(ignored);
}

bool failure_journal::note(failure_note n, std::string& error)
{
    std::lock_guard lock(mutex_);
    if (!state_.record(std::move(n), std::chrono::steady_clock::now()))
        return true;
    return write_locked(error);
}

bool failure_journal::flush(std::string& error)
{
    std::lock_guard lock(mutex_);
    return !state_.pending() || write_locked(error);
}

bool failure_journal::write_locked(std::string& error)
{
    // Marked written even when it fails, so a full disk costs one attempt a second, not one a request.
    state_.written(std::chrono::steady_clock::now());
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    const std::string text = state_.render();
    const std::string tmp = file_.string() + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
    {
        error = "cannot write " + tmp + ": " + std::strerror(errno);
        return false;
    }
    std::size_t done = 0;
    while (done < text.size())
    {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
        {
            error = "cannot write " + tmp + ": " + std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), file_.c_str()) != 0)
    {
        error = "cannot replace " + file_.string() + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    }
    return true;
}

} // namespace mrb
