#include "process_figures.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace mrb {

namespace {

/// Seconds since the epoch at which the machine booted (/proc/stat `btime`).
double boot_time()
{
    std::ifstream in("/proc/stat");
    std::string key;
    double value = 0;
    while(in >> key)
    {
        if(key == "btime")
        {
            in >> value;
            return value;
        }
        in.ignore(1 << 20, '\n');
    }
    return 0;
}

} // namespace

process_figures read_process_figures()
{
    process_figures f;
    const long page = ::sysconf(_SC_PAGESIZE);
    if(std::ifstream statm("/proc/self/statm"); statm)
    {
        std::uint64_t size = 0, resident = 0;
        if(statm >> size >> resident)
            f.resident_bytes = resident * static_cast<std::uint64_t>(page);
    }
    std::error_code ec;
    for(auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
        !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++f.open_fds;
    if(f.open_fds > 0)
        --f.open_fds; // the directory iterator's own descriptor
    if(std::ifstream stat("/proc/self/stat"); stat)
    {
        std::string line;
        std::getline(stat, line);
        // Field 22 (starttime, clock ticks after boot); fields after the ')' of the command name.
        const auto close = line.rfind(')');
        if(close != std::string::npos)
        {
            std::istringstream rest(line.substr(close + 2));
            std::string field;
            for(int i = 3; i <= 22 && rest >> field; ++i)
                if(i == 22)
                    f.start_time_seconds = boot_time() + std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
        }
    }
    return f;
}

} // namespace mrb
