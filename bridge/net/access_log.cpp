#include "access_log.hpp"

#include <chrono>
#include <ctime>
#include <unistd.h>

namespace mrb {
namespace {

std::string timestamp()
{
    const auto now = std::chrono::system_clock::now();
    const auto t = std::chrono::system_clock::to_time_t(now);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1'000'000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us));
    return buf;
}

const char* level_name(log_level l)
{
    switch (l)
    {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    }
    return "info";
}

} // namespace

access_log::access_log(log_format format, log_level level, std::FILE* out)
    : format_(format), level_(level), out_(out)
{
}

nlohmann::json access_log::flag_names(unsigned flags)
{
    static constexpr std::pair<unsigned, const char*> names[] = {
        {flag_uf, "UF"}, {flag_ut, "UT"}, {flag_ur, "UR"}, {flag_upe, "UPE"},
        {flag_pd, "PD"}, {flag_dc, "DC"}, {flag_dpe, "DPE"}, {flag_rj, "RJ"},
    };
    auto out = nlohmann::json::array();
    for (auto [bit, name] : names)
        if (flags & bit)
            out.push_back(name);
    return out;
}

void access_log::write(log_level level, std::string_view msg, const nlohmann::json& fields)
{
    if (!enabled(level))
        return;
    std::string line;
    if (format_ == log_format::json)
    {
        nlohmann::json j = {{"ts", timestamp()}, {"level", level_name(level)}, {"msg", msg}};
        for (const auto& [k, v] : fields.items())
            j[k] = v;
        line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    else
    {
        line = timestamp() + " " + level_name(level) + " " + std::string(msg);
        for (const auto& [k, v] : fields.items())
        {
            line += " " + k + "=";
            if (v.is_string())
            {
                const auto& s = v.get_ref<const std::string&>();
                // Quote values with spaces so the line stays splittable.
                line += s.find_first_of(" \"=") == std::string::npos && !s.empty()
                            ? s
                            : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            }
            else if (v.is_array())
            {
                std::string joined;
                for (const auto& e : v)
                    joined += (joined.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
                line += joined.empty() ? "-" : joined;
            }
            else
                line += v.dump();
        }
    }
    line.push_back('\n');
    std::lock_guard lock(mutex_);
    // One write() per line: lines from several threads never interleave.
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0)
    {
        const auto n = ::write(fileno(out_), p, left);
        if (n <= 0)
            break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void access_log::access(const access_record& r)
{
    nlohmann::json fields = {
        {"method", r.method},         {"path", r.path},
        {"status", r.status},         {"bytes_in", r.bytes_in},
        {"bytes_out", r.bytes_out},   {"dur_us", r.dur_us},
        {"ttfb_us", r.ttfb_us},       {"sse_events", r.sse_events},
        {"upstream_reused", r.upstream_reused}, {"retried", r.retried},
        {"flags", flag_names(r.flags)},
    };
    if (!r.detail.empty())
        fields["detail"] = r.detail;
    write(r.flags & (flag_uf | flag_ut | flag_ur | flag_upe | flag_pd) ? log_level::warn : log_level::info, "access",
          fields);
}

} // namespace mrb
