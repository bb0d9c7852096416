#include "capture.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mrb {

capture::capture(const std::string& path, bool bodies)
    : file_(std::fopen(path.c_str(), "a")), bodies_(bodies)
{
    if (!file_)
        throw std::runtime_error("cannot open capture file " + path);
}

capture::~capture()
{
    std::fclose(file_);
}

bool capture::is_credential(std::string_view name) noexcept
{
    auto iequals = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
                   return std::tolower(x) == std::tolower(y);
               });
    };
    for (std::string_view c : {"authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie", "api-key"})
        if (iequals(name, c))
            return true;
    return false;
}

void capture::write(const nlohmann::json& exchange)
{
    std::string line = exchange.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line.push_back('\n');
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
}

} // namespace mrb
