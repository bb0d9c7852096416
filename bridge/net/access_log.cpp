#include "access_log.hpp"

#include "failure_journal.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <unistd.h>

namespace mrb {
namespace {

// RFC 3339 UTC with microseconds. The date and time are formatted once per second per thread:
// snprintf for every access line was ~4,000 instructions.
std::string timestamp()
{
    const auto now = std::chrono::system_clock::now();
    const auto t = std::chrono::system_clock::to_time_t(now);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1'000'000;
    thread_local std::time_t cached_t = -1;
    thread_local char cached[48];
    if (t != cached_t)
    {
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_t = t;
    }
    std::string out;
    out.reserve(28);
    out.append(cached);
    char frac[8] = {'.', '0', '0', '0', '0', '0', '0', 'Z'};
    auto v = static_cast<long long>(us);
    for (int i = 6; i >= 1 && v > 0; --i, v /= 10)
        frac[i] = static_cast<char>('0' + v % 10);
    out.append(frac, sizeof frac);
    return out;
}

// Strings are appended exactly as nlohmann's dump() writes them. The common case (printable
// ASCII without quotes or backslashes) is copied; anything else goes through the library.
void append_json_string(std::string& out, std::string_view s)
{
    const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (plain)
    {
        out.push_back('"');
        out.append(s);
        out.push_back('"');
        return;
    }
    out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A text-format value is bare only if it is visible ASCII without '"' or '='; anything else is
// quoted and escaped, so a value can never split the line or forge a key.
bool bare_text_value(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '='; });
}

void append_text_string(std::string& out, std::string_view s)
{
    if (bare_text_value(s))
        out.append(s);
    else
        append_json_string(out, s);
}

template <class T>
void append_number(std::string& out, T v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// The flag names in contract order (docs/architecture.md).
constexpr std::pair<unsigned, const char*> flag_table[] = {
    {flag_uf, "UF"}, {flag_ut, "UT"}, {flag_ur, "UR"}, {flag_upe, "UPE"},
    {flag_pd, "PD"}, {flag_dc, "DC"}, {flag_dpe, "DPE"}, {flag_rj, "RJ"},
};

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

// Appends one line's fields, JSON ('"key":value' after '{') or text (' key=value'), in the order
// given: the caller keeps nlohmann's sorted key order so both formats match write()'s output.
struct field_writer
{
    std::string& line;
    bool json;

    void key(std::string_view k)
    {
        if (json)
        {
            line.append(line.size() == 1 ? "\"" : ",\"");
            line.append(k);
            line.append("\":");
        }
        else
        {
            line.push_back(' ');
            line.append(k);
            line.push_back('=');
        }
    }
    void str(std::string_view v) { json ? append_json_string(line, v) : append_text_string(line, v); }
    void boolean(bool v) { line.append(v ? "true" : "false"); }
    template <class N>
    void number(N v) { append_number(line, v); }
    /// The flag names in contract order: a JSON array, or comma-separated text ('-' for none).
    void flags(unsigned bits)
    {
        bool any = false;
        if (json)
            line.push_back('[');
        for (auto [bit, name] : flag_table)
        {
            if (!(bits & bit))
                continue;
            if (any)
                line.push_back(',');
            any = true;
            if (json)
                line.append("\"").append(name).append("\"");
            else
                line.append(name);
        }
        if (json)
            line.push_back(']');
        else if (!any)
            line.push_back('-');
    }
};

// Text lines lead with what a person scans for (status, method, path, duration), then the rest in
// the sorted order write() uses; JSON keeps the sorted order throughout (docs/bridge.md).
void append_access_fields(field_writer& f, const access_record& r, log_level level)
{
    const bool json = f.json;
    if (!json)
    {
        f.key("status");
        f.number(r.status);
        f.key("method");
        f.str(r.method);
        f.key("path");
        f.str(r.path);
        f.key("dur_us");
        f.number(r.dur_us);
    }
    f.key("bytes_in");
    f.number(r.bytes_in);
    f.key("bytes_out");
    f.number(r.bytes_out);
    if (!r.detail.empty())
    {
        f.key("detail");
        f.str(r.detail);
    }
    if (json)
    {
        f.key("dur_us");
        f.number(r.dur_us);
    }
    f.key("flags");
    f.flags(r.flags);
    if (json)
    {
        f.key("level");
        f.str(level_name(level));
        f.key("method");
        f.str(r.method);
        f.key("msg");
        f.str("access");
        f.key("path");
        f.str(r.path);
    }
    f.key("retried");
    f.boolean(r.retried);
    f.key("sse_events");
    f.number(r.sse_events);
    if (json)
    {
        f.key("status");
        f.number(r.status);
        f.key("ts");
        f.str(timestamp());
    }
    f.key("ttfb_us");
    f.number(r.ttfb_us);
    f.key("upstream_reused");
    f.boolean(r.upstream_reused);
}

} // namespace

access_log::access_log(log_format format, log_level level, std::FILE* out)
    : format_(format), level_(level), out_(out)
{
}

nlohmann::json access_log::flag_names(unsigned flags)
{
    auto out = nlohmann::json::array();
    for (auto [bit, name] : flag_table)
        if (flags & bit)
            out.push_back(name);
    return out;
}

void access_log::write(log_level level, std::string_view msg, const nlohmann::json& fields)
{
    write_fields(level, msg, fields);
}

void access_log::write_ordered(log_level level, std::string_view msg, const nlohmann::ordered_json& fields)
{
    write_fields(level, msg, fields);
}

template <class Json>
void access_log::write_fields(log_level level, std::string_view msg, const Json& fields)
{
    if (!enabled(level))
        return;
    std::string line;
    if (format_ == log_format::json)
    {
        Json j = {{"ts", timestamp()}, {"level", level_name(level)}, {"msg", msg}};
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
                const auto& s = v.template get_ref<const std::string&>();
                line += bare_text_value(s) ? s : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            }
            else if (v.is_array())
            {
                std::string joined;
                for (const auto& e : v)
                    joined += (joined.empty() ? "" : ",") + (e.is_string() ? e.template get<std::string>() : e.dump());
                line += joined.empty() ? "-" : joined;
            }
            else
                line += v.dump();
        }
    }
    line.push_back('\n');
    write_line(line);
}

// The access line is written on every request, so it is formatted straight into one string
// (building a JSON object first cost ~45,000 instructions a request). The output is byte for
// byte what write() makes of the same fields: keys in sorted order, as nlohmann orders them.
void access_log::open_failure_journal(unsigned port)
{
    const char* xdg = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    auto path = failure_journal_path(xdg ? xdg : "", home ? home : "", port);
    if (!path.empty())
        journal_ = std::make_shared<failure_journal>(std::move(path));
}

void access_log::note_failure(const access_record& r)
{
    if (!journal_ || r.failure_kind.empty())
        return;
    std::string error;
    if (!journal_->note({r.failure_hop, std::chrono::system_clock::now(),
                         r.failure_status != 0 ? r.failure_status : r.status, r.failure_kind, r.failure_message,
                         r.failure_fix},
                        error))
        write(log_level::warn, "failure journal not written", {{"error", error}});
}

void access_log::access(const access_record& r)
{
    const log_level level =
        r.flags & (flag_uf | flag_ut | flag_ur | flag_upe | flag_pd) ? log_level::warn : log_level::info;
    if (!enabled(level))
        return;
    const bool json = format_ == log_format::json;
    std::string line;
    line.reserve(256 + r.path.size() + r.detail.size());
    field_writer f{line, json};
    if (json)
        line.push_back('{');
    else
    {
        line = timestamp();
        line.push_back(' ');
        line.append(level_name(level));
        line.append(" access");
    }
    append_access_fields(f, r, level);
    if (json)
        line.push_back('}');
    line.push_back('\n');
    write_line(line);
}

// One write() per line: lines from several threads never interleave.
void access_log::write_line(const std::string& line)
{
    std::lock_guard lock(mutex_);
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

} // namespace mrb
