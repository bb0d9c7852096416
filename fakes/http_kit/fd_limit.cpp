#include "fd_limit.hpp"

#include <sys/resource.h>

namespace fakes::http_kit {

long
raise_open_file_limit()
{
    rlimit lim{};
    if(::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return -1;
    if(lim.rlim_cur < lim.rlim_max)
    {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
        ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    return static_cast<long>(lim.rlim_cur);
}

} // namespace fakes::http_kit
