#pragma once
// One command-line convention for every program of the project (the bridge, the fakes, the bench,
// the scenario runner): durations "500ms/30s/5m/1h", usage errors on one line with exit code 2,
// "did you mean" for mistyped flags and subcommands, --version, a one-line "cannot listen".
// No HTTP or socket code here: the fakes link it too, and share nothing else with the bridge.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace CLI
{
class App;
class Option;
} // namespace CLI

namespace mrb::cli_kit
{

inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 2;

// "500ms", "30s", "5m", "1h", "1.5s"; a bare number counts in `bare_unit` ("ms", "s", "m", "h").
// Throws std::invalid_argument with a message that quotes the text.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view bare_unit = "s");

// The shortest exact spelling: 500ms, 30s, 5m, 1h (what --help shows as a default).
std::string format_duration(std::chrono::milliseconds d);

// A duration option stored straight into `into`; --help shows the current value as its default.
// `bare_unit` keeps old callers that passed plain numbers working (documented in the help text).
CLI::Option* add_duration(CLI::App& app, const std::string& name, std::chrono::milliseconds& into,
                          const std::string& description, std::string_view bare_unit = "s");

// The closest candidate to `word` (edit distance at most a third of its length, at least 1),
// or "" when none is close enough to be a likely typo.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// "<program> <version> (commit <hash>)", what --version prints on every program.
std::string version_line(std::string_view program);

// Installs the convention on `app`: --version, and usage errors printed as one line
// "<program>: <what>; did you mean --listen? (<program> --help)". Call once, before parse.
void apply(CLI::App& app, std::string_view program);

// app.parse with the convention's exit codes: returns -1 when the program should go on,
// otherwise the code to exit with (0 after --help/--version, exit_usage for a usage error).
int parse(CLI::App& app, int argc, const char* const* argv);

// A usage error found after parsing (a bad value combination, an unreadable file named by a
// flag): prints "<program>: <message> (<program> --help)" and returns exit_usage.
int usage_error(std::string_view program, std::string_view message);

// One line for a listener that could not bind: "cannot listen on 127.0.0.1:3128: address already
// in use (another program has this port; stop it or choose another port)". `reason` may be an
// exception text; Boost's "[system:98 at /usr/include/...]" tail is cut off.
std::string cannot_listen(std::string_view host, unsigned port, std::string_view reason);

} // namespace mrb::cli_kit
