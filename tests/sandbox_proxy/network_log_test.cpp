#include "sandbox_proxy/network_log.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fakes::sandbox_proxy {
namespace {

std::chrono::system_clock::time_point
at(int hh, int mm, int ss)
{
    // 2026-01-29T00:00:00Z
    std::chrono::sys_days day = std::chrono::year{2026} / 1 / 29;
    return day + std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss) +
        std::chrono::milliseconds(730); // sub-second part is not printed
}

TEST(network_log, text_line_matches_the_documented_example)
{
    network_log_entry e;
    e.timestamp = at(10, 15, 25);
    e.sandbox = "my-sandbox";
    e.method = "GET";
    e.url = "https://blocked.example.com/";
    e.allowed = false;
    EXPECT_EQ(network_log::text_line(e),
        "2026-01-29T10:15:25Z sandbox=my-sandbox request GET https://blocked.example.com/ denied");
    e.allowed = true;
    EXPECT_EQ(network_log::text_line(e).substr(network_log::text_line(e).size() - 8), " allowed");
}

TEST(network_log, json_matches_the_documented_example)
{
    network_log_entry e;
    e.timestamp = at(10, 15, 23);
    e.sandbox = "my-sandbox";
    e.method = "GET";
    e.url = "https://api.example.com/data";
    e.allowed = true;
    e.reason = "allow_rule"; // not part of the documented format
    EXPECT_EQ(network_log::json_document({e}),
        R"({"entries":[{"timestamp":"2026-01-29T10:15:23Z","sandbox":"my-sandbox","type":"request","method":"GET","url":"https://api.example.com/data","action":"allowed"}]})");
    EXPECT_EQ(network_log::json_document({}), R"({"entries":[]})");
}

TEST(network_log, connect_urls)
{
    EXPECT_EQ(network_log::connect_url("blocked.example.com", 443), "https://blocked.example.com/");
    EXPECT_EQ(network_log::connect_url("example.com", 8443), "https://example.com:8443/");
    EXPECT_EQ(network_log::connect_url("::1", 443), "https://[::1]/");
}

} // namespace
} // namespace fakes::sandbox_proxy
