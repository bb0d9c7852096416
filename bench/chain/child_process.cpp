#include "child_process.hpp"

#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mrb::bench {

std::uint64_t proc_status_kib(pid_t pid, const char* key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::string k = std::string(key) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(k, 0) == 0) return std::stoull(line.substr(k.size()));
    }
    return 0;
}

child_process::child_process(child_options options) : options_(std::move(options)) {
    if (options_.argv.empty()) throw std::invalid_argument("child_process: empty argv");
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const std::string log = options_.log_file.empty() ? "/dev/null" : options_.log_file;
    int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log);

    // Everything the child needs is built before fork: no allocation after it.
    if (options_.argv[0].find('/') == std::string::npos) {  // execve does not search PATH
        const char* path = std::getenv("PATH");
        std::string dirs = path ? path : "/usr/bin:/bin";
        for (std::size_t b = 0; b <= dirs.size();) {
            std::size_t e = dirs.find(':', b);
            if (e == std::string::npos) e = dirs.size();
            std::string cand = dirs.substr(b, e - b) + "/" + options_.argv[0];
            if (::access(cand.c_str(), X_OK) == 0) {
                options_.argv[0] = cand;
                break;
            }
            b = e + 1;
        }
    }
    std::vector<char*> argv;
    for (auto& a : options_.argv) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
    for (auto& e : options_.env) env_store.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    rlimit lim{options_.nofile, options_.nofile};

    started_ = std::chrono::steady_clock::now();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        setrlimit(RLIMIT_NOFILE, &lim);  // best effort: root may raise the hard limit
        int watched = options_.watch_stderr ? 2 : 1;
        int other = options_.watch_stderr ? 1 : 2;
        dup2(pipefd[1], watched);
        dup2(log_fd, other);
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        setpgid(0, 0);  // its own group: a stray signal to the bench's group does not hit it
        signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    ::close(pipefd[1]);
    ::close(log_fd);
    out_fd_ = pipefd[0];
    drainer_ = std::thread([this] { drain(); });
}

child_process::~child_process() {
    kill_now();
    if (drainer_.joinable()) drainer_.join();
    if (out_fd_ >= 0) ::close(out_fd_);
}

void child_process::drain() {
    std::string partial;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        const auto now = std::chrono::steady_clock::now();
        partial.append(buf, static_cast<std::size_t>(n));
        std::size_t pos;
        std::lock_guard lock(mutex_);
        while ((pos = partial.find('\n')) != std::string::npos) {
            if (lines_.size() < 1000) lines_.emplace_back(partial.substr(0, pos), now);
            partial.erase(0, pos + 1);
        }
        cv_.notify_all();
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    cv_.notify_all();
}

std::optional<std::string> child_process::wait_for_line(const std::string& needle,
                                                        std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        while (!lines_.empty()) {
            auto [line, at] = std::move(lines_.front());
            lines_.pop_front();
            if (seen_.size() < 20) seen_.push_back(line);
            if (line.find(needle) != std::string::npos) {
                line_seen_at_ = at;
                return line;
            }
        }
        if (eof_) return std::nullopt;
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && lines_.empty()) return std::nullopt;
    }
}

bool child_process::running() {
    if (reaped_) return false;
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        return false;
    }
    return true;
}

int child_process::stop(std::chrono::milliseconds grace) {
    if (!running()) return status_;
    ::kill(pid_, SIGTERM);  // the leader only: it shuts its helpers down itself
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) return status_;
        // waitpid has no timeout; poll on the drained pipe's EOF would not cover all children.
        ::poll(nullptr, 0, 5);
    }
    kill_now();
    return status_;
}

void child_process::kill_now() {
    if (reaped_ || pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);  // the whole group: helpers (squid's) also hold the watched pipe
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

std::uint64_t child_process::rss_kib() const { return reaped_ ? 0 : proc_status_kib(pid_, "VmRSS"); }

double child_process::cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto rp = s.rfind(')');
    if (rp == std::string::npos) return 0;
    // fields after ")": state(3) ... utime(14) stime(15)
    std::size_t pos = rp + 2;
    int field = 3;
    std::uint64_t ut = 0, st = 0;
    while (pos < s.size() && field <= 15) {
        auto sp = s.find(' ', pos);
        if (field == 14) ut = std::stoull(s.substr(pos, sp - pos));
        if (field == 15) st = std::stoull(s.substr(pos, sp - pos));
        pos = sp + 1;
        ++field;
    }
    return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace mrb::bench
