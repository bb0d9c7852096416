#pragma once
// A child process for the chain under test: fork/exec with extra environment, a raised file
// descriptor limit (10,000 open streams need ~20,000 descriptors in the bridge), one output
// stream watched for the ready line and the other sent to a log file. Exceptions only at
// start-up; the waits take deadlines.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace mrb::bench {

struct child_options {
    std::vector<std::string> argv;
    std::vector<std::string> env;   // extra "NAME=value" entries
    bool watch_stderr = false;      // ready line on stderr (the seed bridge) instead of stdout
    std::string log_file;           // the other stream; empty: /dev/null
    std::uint64_t nofile = 65536;   // RLIMIT_NOFILE soft and hard for the child
};

class child_process {
public:
    explicit child_process(child_options options);  // starts it
    ~child_process();                               // SIGKILL + reap if still running
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const noexcept { return pid_; }
    std::chrono::steady_clock::time_point started_at() const noexcept { return started_; }

    // First watched line containing `needle`, or nullopt at the deadline / if the child exits.
    std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds timeout);
    // When the line wait_for_line() returned was read.
    std::chrono::steady_clock::time_point line_seen_at() const noexcept { return line_seen_at_; }

    // The watched lines consumed so far (the first 20): what the child said if it failed.
    std::string seen_lines() const {
        std::string s;
        for (const auto& l : seen_) s += l + "\n";
        return s;
    }

    bool running();
    // SIGTERM, then SIGKILL after `grace`; returns the exit status (or -signal).
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
    void kill_now();

    // Resident set size from /proc/<pid>/status (VmRSS), KiB; 0 if gone.
    std::uint64_t rss_kib() const;
    // user+system CPU time consumed so far, seconds.
    double cpu_seconds() const;

private:
    void drain();

    child_options options_;
    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point line_seen_at_;
    std::thread drainer_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> lines_;
    std::vector<std::string> seen_;
    bool eof_ = false;
    int status_ = 0;
    bool reaped_ = false;
};

// Reads VmRSS / VmHWM of any pid, KiB.
std::uint64_t proc_status_kib(pid_t pid, const char* key);

}  // namespace mrb::bench
