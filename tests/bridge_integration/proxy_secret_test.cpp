// Issue 10 item 3: a proxy URL that cannot be used is a usage error (exit 2) whose message names
// where the URL came from and never shows its password, for every subcommand and every source.
#include "bridge_fixture.hpp"

#include <cstdlib>
#include <filesystem>

namespace mrb::test {
namespace {

constexpr const char* k_password = "Pw9xQzSecret";

struct source_case {
    const char* name; ///< what the message must name
    bool flag;        ///< --proxy, else the environment variable `name`
};

class proxy_secret : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override
    {
        // configure and doctor read openclaw.json: never the developer's own.
        home_ = std::filesystem::temp_directory_path() / ("mrb-proxy-secret-" + std::to_string(::getpid()));
        std::filesystem::create_directories(home_);
    }
    void TearDown() override { std::filesystem::remove_all(home_); }

    std::filesystem::path home_;
};

TEST_P(proxy_secret, usage_error_names_the_source_and_hides_the_password)
{
    const std::string url = GetParam();
    for (const auto& src : {source_case{"--proxy", true}, source_case{"HTTP_PROXY", false},
             source_case{"http_proxy", false}}) {
        for (const char* sub : {"serve", "doctor", "models", "configure"}) {
            std::vector<std::string> args = {sub, "--listen", "127.0.0.1:0"};
            std::vector<env_change> env = {{"HTTP_PROXY", std::nullopt}, {"http_proxy", std::nullopt},
                {"HOME", home_.string()}, {"OPENCLAW_CONFIG_PATH", (home_ / "openclaw.json").string()}};
            if (src.flag) {
                args.push_back("--proxy");
                args.push_back(url);
            } else {
                env.push_back({src.name, url});
            }
            if (std::string(sub) == "configure")
                args.insert(args.end(), {"--model", "ai/smollm2", "--timeout", "1"});
            child_process p(MRB_BRIDGE_BINARY, args, env);
            const auto rc = p.wait_exit(10s);
            if (!rc)
                p.signal(SIGKILL);
            const auto out = p.text(child_process::stream::out) + p.text(child_process::stream::err);
            const auto where = std::string(sub) + " with " + src.name + "=" + url + ":\n" + out;
            EXPECT_EQ(rc, 2) << where;
            EXPECT_EQ(out.find(k_password), std::string::npos) << where;
            EXPECT_EQ(out.find("Pw9x"), std::string::npos) << where;
            EXPECT_NE(out.find(src.name), std::string::npos) << "the source is not named: " << where;
            // The URL stays recognisable to whoever set it.
            EXPECT_NE(out.find("user:***@"), std::string::npos) << where;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(bad_urls, proxy_secret,
    testing::Values(std::string("http://user:") + k_password + "@host:99999",
        std::string("https://user:") + k_password + "@host:3128",
        std::string("http://user:") + k_password + "@bad host:3128",
        std::string("http://user:") + k_password + "@:3128"));

}  // namespace
}  // namespace mrb::test
