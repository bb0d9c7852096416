#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

extern char** environ;

namespace mrb::test {

namespace {

std::vector<std::string> merged_environment(const std::vector<env_change>& changes)
{
    std::map<std::string, std::string> vars;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv = *e;
        const auto eq = kv.find('=');
        if (eq != std::string_view::npos)
            vars[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
    for (const auto& c : changes) {
        if (c.value)
            vars[c.name] = *c.value;
        else
            vars.erase(c.name);
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : vars)
        out.push_back(k + "=" + v);
    return out;
}

void throw_errno(int err, const char* what)
{
    throw std::system_error(err, std::generic_category(), what);
}

}  // namespace

child_process::child_process(std::string program, std::vector<std::string> args, std::vector<env_change> env)
{
    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0)
        throw_errno(errno, "pipe2");
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        const int e = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        throw_errno(e, "pipe2");
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    // dup2 clears FD_CLOEXEC on the target, so only these two ends survive exec.
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    // And nothing else: Asio opens its sockets without FD_CLOEXEC, so without this the child
    // inherited every listener of the fakes running in this process. A fake that then "stopped
    // listening" kept a live listening socket in the child: connects still succeeded into a
    // backlog nobody accepted (the bridge waited for a response head instead of getting
    // ECONNREFUSED; scenario errors/proxy_recovers).
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group (so the destructor can kill helpers too) and default signal handling
    // (gtest or the shell may have left SIGPIPE/SIGTERM ignored or blocked).
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD})
        sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> argv_store;
    argv_store.push_back(program);
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    auto env_store = merged_environment(env);
    std::vector<char*> envp;
    for (auto& e : env_store)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    const bool search = program.find('/') == std::string::npos;
    const int rc = search ? posix_spawnp(&pid_, program.c_str(), &actions, &attr, argv.data(), envp.data())
                          : posix_spawn(&pid_, program.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        throw_errno(rc, ("posix_spawn " + program).c_str());
    }

    out_reader_ = std::thread([this, fd = out_pipe[0]] { read_loop(fd, out_); });
    err_reader_ = std::thread([this, fd = err_pipe[0]] { read_loop(fd, err_); });
    reaper_ = std::thread([this] {
        int st = 0;
        pid_t r;
        do {
            r = waitpid(pid_, &st, 0);
        } while (r < 0 && errno == EINTR);
        std::lock_guard lock(mutex_);
        if (r == pid_)
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        else
            status_ = -1;
        cv_.notify_all();
    });
}

child_process::~child_process()
{
    {
        std::lock_guard lock(mutex_);
        if (!status_)
            ::kill(-pid_, SIGKILL);  // the group: the child and anything it started
    }
    reaper_.join();
    // Helpers of the child may still hold the pipes; the group was killed, so EOF follows.
    out_reader_.join();
    err_reader_.join();
}

void child_process::read_loop(int fd, pipe_state& ps)
{
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        std::lock_guard lock(mutex_);
        if (n <= 0) {
            ps.eof = true;
            cv_.notify_all();
            break;
        }
        ps.all.append(buf, static_cast<std::size_t>(n));
        ps.pending.append(buf, static_cast<std::size_t>(n));
        std::size_t pos;
        while ((pos = ps.pending.find('\n')) != std::string::npos) {
            ps.lines.push_back(ps.pending.substr(0, pos));
            ps.pending.erase(0, pos + 1);
        }
        cv_.notify_all();
    }
    ::close(fd);
}

std::optional<std::vector<std::string>> child_process::wait_for_line(stream s, const std::regex& re,
    std::chrono::milliseconds timeout, std::size_t from_line)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    const auto& ps = state(s);
    std::size_t next = from_line;
    // Looks at the lines not yet looked at.
    auto scan = [&]() -> std::optional<std::vector<std::string>> {
        for (; next < ps.lines.size(); ++next) {
            std::smatch m;
            if (std::regex_search(ps.lines[next], m, re)) {
                std::vector<std::string> groups;
                for (const auto& g : m)
                    groups.push_back(g.str());
                return groups;
            }
        }
        return std::nullopt;
    };
    for (;;) {
        if (auto m = scan())
            return m;
        if (ps.eof)
            return std::nullopt;
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
            return scan();
    }
}

testing::AssertionResult child_process::expect_line(stream s, const std::regex& re, std::chrono::milliseconds timeout)
{
    if (wait_for_line(s, re, timeout))
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "no matching line on " << (s == stream::out ? "stdout" : "stderr")
                                       << " within " << timeout.count() << " ms; got:\n" << text(s);
}

std::vector<std::string> child_process::lines(stream s) const
{
    std::lock_guard lock(mutex_);
    return state(s).lines;
}

std::string child_process::text(stream s) const
{
    std::lock_guard lock(mutex_);
    return state(s).all;
}

std::vector<nlohmann::json> child_process::json_lines(stream s) const
{
    std::vector<nlohmann::json> out;
    for (const auto& line : lines(s)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object())
            out.push_back(std::move(j));
    }
    return out;
}

bool child_process::signal(int signo)
{
    std::lock_guard lock(mutex_);
    if (status_)
        return false;
    return ::kill(pid_, signo) == 0;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [this] { return status_ && out_.eof && err_.eof; }))
        return std::nullopt;
    return status_;
}

std::optional<int> child_process::exit_status() const
{
    std::lock_guard lock(mutex_);
    return status_;
}

}  // namespace mrb::test
