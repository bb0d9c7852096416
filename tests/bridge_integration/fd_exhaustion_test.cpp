// Issue 10 item 2: with its descriptor limit reached the bridge must neither spin on accept nor
// flood its log, and it must serve again once descriptors are free.
#include "bridge_fixture.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace mrb::test {
namespace {

std::size_t open_descriptors(pid_t pid)
{
    std::size_t n = 0;
    if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.')
                ++n;
        ::closedir(d);
    }
    return n;
}

// utime + stime of a process, in clock ticks.
long cpu_ticks(pid_t pid)
{
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::stol(field);
        if (i == 15)
            stime = std::stol(field);
    }
    return utime + stime;
}

std::size_t count_msg(const std::vector<nlohmann::json>& log, const std::string& msg)
{
    std::size_t n = 0;
    for (const auto& e : log)
        n += e.value("msg", "") == msg;
    return n;
}

TEST_F(bridge_test, descriptor_exhaustion_backs_off_logs_once_a_second_and_recovers)
{
    start_upstream({}, {step::read_request(), step::send(ok_response("back")), step::stall()});
    ASSERT_TRUE(start_bridge({"--threads", "1"}));
    const pid_t pid = bridge_->process().pid();

    // Room for a handful of connections only.
    const rlim_t limit = open_descriptors(pid) + 6;
    const rlimit rl{limit, limit};
    ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &rl, nullptr), 0) << std::strerror(errno);

    std::vector<raw_client> clients;
    for (int i = 0; i < 40; ++i)
        clients.push_back(client()); // the kernel completes the handshake; the backlog holds them
    static const std::regex failed(R"("msg"\s*:\s*"accept failed")");
    ASSERT_TRUE(bridge_->process().wait_for_line(child_process::stream::err, failed, 10s))
        << "the descriptor limit was never reached\n" << bridge_->output();

    // A fixed observation window, not a wait for something to settle: what is tested is the
    // rate of log lines and of CPU while the limit holds.
    const auto window = 3s;
    const auto lines_before = count_msg(bridge_->log_entries(), "accept failed");
    const long ticks_before = cpu_ticks(pid);
    std::this_thread::sleep_for(window);
    const auto lines = count_msg(bridge_->log_entries(), "accept failed") - lines_before;
    const double cpu_s = double(cpu_ticks(pid) - ticks_before) / double(::sysconf(_SC_CLK_TCK));
    std::cerr << "during " << window.count() << " s of exhaustion: " << lines << " 'accept failed' lines, "
              << cpu_s << " s of CPU\n";
    // At most one line a second (+2: the window's edges, and lines still in the pipe).
    EXPECT_LE(lines, std::size_t(window.count()) + 2);
    EXPECT_LT(cpu_s, 0.5 * double(window.count())) << "the accept loop spins";
    bool suppressed = false;
    for (const auto& e : bridge_->log_entries())
        if (e.value("msg", "") == "accept failed" && e.value("suppressed", 0) > 0)
            suppressed = true;
    EXPECT_TRUE(suppressed) << "no line counts the repeats it left out";

    // Descriptors free again: a new client is served.
    clients.clear();
    auto c = client();
    ASSERT_TRUE(c.send(request("GET", "/models")));
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r) << "not served after the descriptors were freed";
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "back");
}

}  // namespace
}  // namespace mrb::test
