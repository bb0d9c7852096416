// The shared command-line convention: what every program accepts and how it refuses.
#include "cli_kit.hpp"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <sstream>

using namespace std::chrono_literals;
namespace ck = mrb::cli_kit;

TEST(cli_kit_duration, accepts_every_unit)
{
    EXPECT_EQ(ck::parse_duration("500ms"), 500ms);
    EXPECT_EQ(ck::parse_duration("30s"), 30s);
    EXPECT_EQ(ck::parse_duration("5m"), 5min);
    EXPECT_EQ(ck::parse_duration("1h"), 1h);
    EXPECT_EQ(ck::parse_duration("1.5s"), 1500ms);
    EXPECT_EQ(ck::parse_duration("0"), 0ms);
}

TEST(cli_kit_duration, bare_number_counts_in_the_given_unit)
{
    EXPECT_EQ(ck::parse_duration("10"), 10s);
    EXPECT_EQ(ck::parse_duration("10", "ms"), 10ms);
    EXPECT_EQ(ck::parse_duration("2s", "ms"), 2s); // a unit always wins
}

TEST(cli_kit_duration, refuses_garbage_with_the_text_quoted)
{
    for (const char* bad : {"", "s", "-1s", "10 s", "10x", "ten", "1e400s"})
    {
        try
        {
            ck::parse_duration(bad);
            ADD_FAILURE() << bad << " was accepted";
        }
        catch (const std::invalid_argument& e)
        {
            EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
        }
    }
}

TEST(cli_kit_duration, formats_the_shortest_exact_spelling)
{
    EXPECT_EQ(ck::format_duration(500ms), "500ms");
    EXPECT_EQ(ck::format_duration(30s), "30s");
    EXPECT_EQ(ck::format_duration(300s), "5m");
    EXPECT_EQ(ck::format_duration(1h), "1h");
    EXPECT_EQ(ck::format_duration(1500ms), "1500ms");
    EXPECT_EQ(ck::format_duration(0ms), "0s");
}

TEST(cli_kit_closest, suggests_only_likely_typos)
{
    const std::vector<std::string> flags{"--listen", "--target", "--proxy", "--completion-timeout"};
    EXPECT_EQ(ck::closest("--lisen", flags), "--listen");
    EXPECT_EQ(ck::closest("--taget", flags), "--target");
    EXPECT_EQ(ck::closest("--completion-t", flags), "--completion-timeout");
    EXPECT_EQ(ck::closest("--zzz", flags), "");
    EXPECT_EQ(ck::closest("model", {"models", "doctor", "configure"}), "models");
    EXPECT_EQ(ck::closest("x", {"models", "doctor"}), "");
}

namespace
{

struct run_result
{
    int rc;
    std::string err;
};

// Parses argv with the convention and captures what goes to stderr.
run_result run(CLI::App& app, std::vector<const char*> argv)
{
    argv.insert(argv.begin(), "prog");
    std::stringstream err;
    auto* old = std::cerr.rdbuf(err.rdbuf());
    std::stringstream out;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    const int rc = ck::parse(app, static_cast<int>(argv.size()), argv.data());
    std::cerr.rdbuf(old);
    std::cout.rdbuf(old_out);
    return {rc, err.str() + out.str()};
}

struct sample_app
{
    CLI::App app{"sample"};
    std::chrono::milliseconds delay = 250ms;
    std::string listen;
    sample_app()
    {
        ck::apply(app, "prog");
        app.add_option("--listen", listen, "where");
        ck::add_duration(app, "--delay", delay, "how long");
        app.add_subcommand("models", "list");
        app.add_subcommand("doctor", "check");
        app.require_subcommand(0, 1);
    }
};

} // namespace

TEST(cli_kit_parse, mistyped_flag_is_one_line_with_a_suggestion_and_exit_2)
{
    sample_app s;
    const auto r = run(s.app, {"--lisen", "1"});
    EXPECT_EQ(r.rc, ck::exit_usage);
    EXPECT_EQ(r.err, "prog: unknown option --lisen; did you mean --listen? (prog --help)\n");
}

TEST(cli_kit_parse, mistyped_subcommand_gets_a_suggestion)
{
    sample_app s;
    const auto r = run(s.app, {"model"});
    EXPECT_EQ(r.rc, ck::exit_usage);
    EXPECT_EQ(r.err, "prog: unexpected argument model; did you mean models? (prog --help)\n");
}

TEST(cli_kit_parse, bad_duration_names_the_flag_on_one_line)
{
    sample_app s;
    const auto r = run(s.app, {"--delay", "10x"});
    EXPECT_EQ(r.rc, ck::exit_usage);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("--delay"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'10x'"), std::string::npos) << r.err;
}

TEST(cli_kit_parse, durations_reach_the_variable_and_show_as_default)
{
    sample_app s;
    EXPECT_NE(s.app.help().find("DURATION=250ms"), std::string::npos) << s.app.help();
    const auto r = run(s.app, {"--delay", "5m"});
    EXPECT_EQ(r.rc, -1) << r.err;
    EXPECT_EQ(s.delay, 5min);
}

TEST(cli_kit_parse, version_and_help_exit_0)
{
    sample_app s;
    auto r = run(s.app, {"--version"});
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.err.rfind("prog ", 0), 0u) << r.err;
    sample_app h;
    r = run(h.app, {"--help"});
    EXPECT_EQ(r.rc, 0);
}

TEST(cli_kit_usage_error, one_line_and_exit_2)
{
    std::stringstream err;
    auto* old = std::cerr.rdbuf(err.rdbuf());
    const int rc = ck::usage_error("prog", "--bridge: no such file\nsecond line");
    std::cerr.rdbuf(old);
    EXPECT_EQ(rc, 2);
    EXPECT_EQ(err.str(), "prog: --bridge: no such file second line (prog --help)\n");
}

TEST(cli_kit_cannot_listen, cuts_boost_source_paths_and_explains_in_use)
{
    const auto line = ck::cannot_listen(
        "127.0.0.1", 3128,
        "bind: Address already in use [system:98 at /usr/include/boost/asio/detail/reactive_socket_service.hpp:161 in function 'bind']");
    EXPECT_EQ(line, "cannot listen on 127.0.0.1:3128: address already in use (another program has this port: "
                    "stop it or choose another port)");
    EXPECT_EQ(ck::cannot_listen("::1", 80, "Permission denied"),
              "cannot listen on [::1]:80: permission denied (ports below 1024 need privileges: choose a higher port)");
}
