#include "net/access_log.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

namespace {

// What a log writes into a temporary file through `write_to`.
template <class Write>
std::string logged(mrb::log_format format, Write write_to)
{
    std::FILE* f = std::tmpfile();
    {
        mrb::access_log log(format, mrb::log_level::info, f);
        write_to(log);
    }
    std::rewind(f);
    std::string out;
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, f))
        out.append(buf, n);
    std::fclose(f);
    return out;
}

std::string run(mrb::log_format format, const mrb::access_record& r)
{
    return logged(format, [&](mrb::access_log& log) { log.access(r); });
}

mrb::access_record sample()
{
    mrb::access_record r;
    r.method = "POST";
    r.path = "/engines/v1/chat/completions";
    r.status = 200;
    r.bytes_in = 120;
    r.bytes_out = 4096;
    r.dur_us = 1500;
    r.ttfb_us = 300;
    r.sse_events = 12;
    r.upstream_reused = true;
    r.flags = mrb::flag_ur | mrb::flag_dc;
    return r;
}

TEST(access_log, json_line_has_contract_fields)
{
    const auto line = run(mrb::log_format::json, sample());
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["msg"], "access");
    EXPECT_TRUE(j.contains("ts"));
    EXPECT_TRUE(j.contains("level"));
    EXPECT_EQ(j["method"], "POST");
    EXPECT_EQ(j["path"], "/engines/v1/chat/completions");
    EXPECT_EQ(j["status"], 200);
    EXPECT_EQ(j["bytes_in"], 120);
    EXPECT_EQ(j["bytes_out"], 4096);
    EXPECT_EQ(j["dur_us"], 1500);
    EXPECT_EQ(j["ttfb_us"], 300);
    EXPECT_EQ(j["sse_events"], 12);
    EXPECT_EQ(j["upstream_reused"], true);
    EXPECT_EQ(j["retried"], false);
    EXPECT_EQ(j["flags"], nlohmann::json::array({"UR", "DC"}));
}

TEST(access_log, empty_flags_is_an_empty_array)
{
    auto r = sample();
    r.flags = 0;
    const auto j = nlohmann::json::parse(run(mrb::log_format::json, r));
    EXPECT_TRUE(j["flags"].is_array());
    EXPECT_TRUE(j["flags"].empty());
}

TEST(access_log, text_line)
{
    const auto line = run(mrb::log_format::text, sample());
    EXPECT_NE(line.find(" access status=200 method="), std::string::npos) << line;
    EXPECT_LT(line.find(" path="), line.find(" dur_us=")) << line;
    EXPECT_LT(line.find(" dur_us="), line.find(" bytes_in=")) << line;
    EXPECT_NE(line.find("status=200"), std::string::npos);
    EXPECT_NE(line.find("flags=UR,DC"), std::string::npos);
    EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(access_log, all_flag_names_in_order)
{
    EXPECT_EQ(mrb::access_log::flag_names(0xff),
              nlohmann::json::array({"UF", "UT", "UR", "UPE", "PD", "DC", "DPE", "RJ"}));
}

TEST(access_log, level_filter)
{
    std::FILE* f = std::tmpfile();
    {
        mrb::access_log log(mrb::log_format::json, mrb::log_level::warn, f);
        log.write(mrb::log_level::info, "hidden");
        log.write(mrb::log_level::warn, "shown");
    }
    std::rewind(f);
    char buf[1024] = {};
    const auto n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    const std::string out(buf, n);
    EXPECT_EQ(out.find("hidden"), std::string::npos);
    EXPECT_NE(out.find("shown"), std::string::npos);
}

// The access line is formatted by hand for speed; it must stay byte for byte what the generic
// writer makes of the same fields (the contract in docs/architecture.md), whatever the strings.
std::string reference(mrb::log_format format, const mrb::access_record& r)
{
    nlohmann::json fields = {
        {"method", r.method}, {"path", r.path}, {"status", r.status}, {"bytes_in", r.bytes_in},
        {"bytes_out", r.bytes_out}, {"dur_us", r.dur_us}, {"ttfb_us", r.ttfb_us}, {"sse_events", r.sse_events},
        {"upstream_reused", r.upstream_reused}, {"retried", r.retried},
        {"flags", mrb::access_log::flag_names(r.flags)},
    };
    if (!r.detail.empty())
        fields["detail"] = r.detail;
    const auto level = r.flags & (mrb::flag_uf | mrb::flag_ut | mrb::flag_ur | mrb::flag_upe | mrb::flag_pd)
                           ? mrb::log_level::warn
                           : mrb::log_level::info;
    if (format == mrb::log_format::json)
        return logged(format, [&](mrb::access_log& log) { log.write(level, "access", fields); });
    // Text: status, method, path and dur_us lead; the rest follows in sorted order.
    nlohmann::ordered_json ordered;
    for (const char* lead : {"status", "method", "path", "dur_us"})
        ordered[lead] = fields[lead];
    for (const auto& [k, v] : fields.items())
        if (!ordered.contains(k))
            ordered[k] = v;
    return logged(format, [&](mrb::access_log& log) { log.write_ordered(level, "access", ordered); });
}

std::string without_timestamp(const std::string& line)
{
    static const std::regex ts(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
    return std::regex_replace(line, ts, "<ts>");
}

TEST(access_log, hand_formatted_line_equals_the_generic_writer)
{
    const std::vector<std::string> strings = {
        "", "POST", "/engines/llama.cpp/v1/chat/completions?x=1&y=2", "with space", "quote\"d",
        "back\\slash", "tab\tand\nnewline", std::string("nul\0byte", 8), "caf\xc3\xa9 \xe2\x82\xac",
        "bad utf8 \xff\xfe", "del\x7f", "a=b", "response body: end of stream"};
    for (const auto format : {mrb::log_format::json, mrb::log_format::text})
        for (const auto& s : strings)
            for (const unsigned flags : {0u, unsigned(mrb::flag_ur | mrb::flag_dc), 0xffu, unsigned(mrb::flag_rj)})
            {
                auto r = sample();
                r.method = s.empty() ? "GET" : s;
                r.path = s;
                r.detail = s;
                r.flags = flags;
                r.retried = flags & 1;
                r.ttfb_us = flags ? -1 : 300;
                r.bytes_out = 18446744073709551615ull;
                const auto got = run(format, r);
                EXPECT_EQ(without_timestamp(got), without_timestamp(reference(format, r)))
                    << "string: " << nlohmann::json(s).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
                EXPECT_NE(without_timestamp(got), got) << "no RFC 3339 microsecond timestamp in " << got;
            }
}

TEST(access_log, text_values_with_control_characters_are_quoted)
{
    auto r = sample();
    r.detail = "line\nbreak";
    const auto line = run(mrb::log_format::text, r);
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_NE(line.find(R"(detail="line\nbreak")"), std::string::npos) << line;
}

} // namespace
