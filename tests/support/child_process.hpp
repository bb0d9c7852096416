#pragma once
// Runs a program as a child process and captures its stdout and stderr line by line.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace mrb::test {

/// One environment change for the child: set `name` to `value`, or unset it when nullopt.
struct env_change {
    std::string name;
    std::optional<std::string> value;
};

/**
 * A spawned child with both output pipes read on background threads.
 *
 * The child inherits this process's environment with `env` applied, runs in its own process
 * group and gets /dev/null as stdin. The destructor SIGKILLs the group and reaps it.
 */
class child_process {
public:
    enum class stream { out, err };

    /// Spawns `program` (a path; PATH is searched if it has no '/'). Throws std::system_error.
    child_process(std::string program, std::vector<std::string> args, std::vector<env_change> env = {});
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }

    /// Waits for a complete line matching `re` (std::regex_search) at index >= `from_line`.
    /// Returns the match groups ([0] is the whole match) or nullopt on timeout / stream end.
    std::optional<std::vector<std::string>> wait_for_line(stream s, const std::regex& re,
        std::chrono::milliseconds timeout, std::size_t from_line = 0);
    testing::AssertionResult expect_line(stream s, const std::regex& re, std::chrono::milliseconds timeout);

    /// Complete lines received so far (without the newline).
    std::vector<std::string> lines(stream s) const;
    /// Everything received so far, including an unterminated last line.
    std::string text(stream s) const;
    /// Lines of `s` that parse as JSON objects; others are skipped.
    std::vector<nlohmann::json> json_lines(stream s) const;

    /// Sends `signo` to the child if it has not been reaped yet.
    bool signal(int signo);
    /// Waits until the child exits and both pipes reach end of file. Returns the exit code,
    /// or 128 + signal number if it was killed by a signal; nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    /// Exit status if already known.
    std::optional<int> exit_status() const;

private:
    struct pipe_state {
        std::string pending;  // unterminated tail
        std::string all;
        std::vector<std::string> lines;
        bool eof = false;
    };
    void read_loop(int fd, pipe_state& ps);
    pipe_state& state(stream s) { return s == stream::out ? out_ : err_; }
    const pipe_state& state(stream s) const { return s == stream::out ? out_ : err_; }

    pid_t pid_ = -1;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    pipe_state out_;
    pipe_state err_;
    std::optional<int> status_;
    std::thread out_reader_;
    std::thread err_reader_;
    std::thread reaper_;
};

}  // namespace mrb::test
