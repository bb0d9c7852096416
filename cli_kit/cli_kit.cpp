#include "cli_kit.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#ifndef MRB_VERSION
#define MRB_VERSION "unknown"
#endif
#ifndef MRB_GIT_COMMIT
#define MRB_GIT_COMMIT "unknown"
#endif

namespace mrb::cli_kit
{

namespace
{

double unit_ms(std::string_view unit)
{
    if (unit == "ms")
        return 1;
    if (unit == "s")
        return 1000;
    if (unit == "m" || unit == "min")
        return 60'000;
    if (unit == "h")
        return 3'600'000;
    return -1;
}

std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
    {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// Every flag spelling ("--listen", "-c") and subcommand name reachable from `app`.
void collect(const CLI::App& app, std::vector<std::string>& flags, std::vector<std::string>& commands)
{
    for (const auto* o : app.get_options())
    {
        if (!o->nonpositional() || o->get_group().empty())
            continue; // positional or hidden (deprecated aliases are not suggested)
        for (const auto& l : o->get_lnames())
            flags.push_back("--" + l);
    }
    for (const auto* s : app.get_subcommands([](const CLI::App*) { return true; }))
    {
        if (!s->get_name().empty())
            commands.push_back(s->get_name());
        collect(*s, flags, commands);
    }
}

std::string one_line(std::string text)
{
    for (auto& c : text)
        if (c == '\n' || c == '\r')
            c = ' ';
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    return text;
}

// The unexpected words of an ExtrasError ("The following arguments were not expected: 1 --lisen").
std::vector<std::string> extras_of(const std::string& what)
{
    std::vector<std::string> out;
    const auto colon = what.find(": ");
    if (colon == std::string::npos)
        return out;
    std::string word;
    for (const char c : what.substr(colon + 2))
    {
        if (c == ' ')
        {
            if (!word.empty())
                out.push_back(word);
            word.clear();
        }
        else
            word += c;
    }
    if (!word.empty())
        out.push_back(word);
    return out;
}

// The command line of the parse in progress: tells a flag's value from its variable's.
thread_local std::vector<std::string> parsed_argv;

// "--connect-timeout: bad" becomes "MRB_CONNECT_TIMEOUT: bad" when the value came from the
// option's environment variable, not from the command line.
std::string name_the_source(const CLI::App& root, std::string message)
{
    if (message.rfind("--", 0) != 0)
        return message;
    const auto colon = message.find(':');
    if (colon == std::string::npos)
        return message;
    const std::string flag = message.substr(0, colon);
    std::vector<const CLI::App*> apps{&root};
    for (std::size_t i = 0; i < apps.size(); ++i)
        for (const auto* s : apps[i]->get_subcommands([](const CLI::App*) { return true; }))
            apps.push_back(s);
    for (const auto* a : apps)
    {
        const auto* opt = a->get_option_no_throw(flag);
        if (opt == nullptr || opt->get_envname().empty() || std::getenv(opt->get_envname().c_str()) == nullptr)
            continue;
        for (const auto& arg : parsed_argv)
            if (arg == flag || arg.rfind(flag + "=", 0) == 0)
                return message;
        return opt->get_envname() + message.substr(colon);
    }
    return message;
}

std::string failure_line(const CLI::App& app, const CLI::Error& e, const std::string& program)
{
    const CLI::App* root = &app;
    while (root->get_parent() != nullptr)
        root = root->get_parent();
    std::string message;
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr)
    {
        std::vector<std::string> flags, commands;
        collect(*root, flags, commands);
        const auto extras = extras_of(e.what());
        // Name the first word that looks like a typo: a flag, else the first word.
        std::string word = extras.empty() ? std::string() : extras.front();
        for (const auto& x : extras)
            if (x.size() > 1 && x[0] == '-')
            {
                word = x;
                break;
            }
        const bool is_flag = word.size() > 1 && word[0] == '-';
        std::string bare = word.substr(0, word.find('='));
        message = (is_flag ? "unknown option " : "unexpected argument ") + word;
        const auto hint = is_flag ? closest(bare, flags) : closest(bare, commands);
        if (!hint.empty())
            message += "; did you mean " + hint + "?";
        else if (!is_flag && !commands.empty())
        {
            std::string list;
            for (const auto& c : commands)
                list += (list.empty() ? "" : ", ") + c;
            message += " (subcommands: " + list + ")";
        }
    }
    else
        message = name_the_source(*root, one_line(e.what()));
    return program + ": " + message + " (" + program + " --help)\n";
}

} // namespace

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view bare_unit)
{
    const std::string s(text);
    std::size_t pos = 0;
    double value = 0;
    const bool starts_with_number = !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.');
    try
    {
        if (!starts_with_number)
            throw std::invalid_argument("no number");
        value = std::stod(s, &pos);
    }
    catch (const std::exception&)
    {
        throw std::invalid_argument("invalid duration '" + s + "' (examples: 500ms, 30s, 5m)");
    }
    const std::string_view unit = pos == s.size() ? bare_unit : std::string_view(s).substr(pos);
    const double factor = unit_ms(unit);
    if (factor < 0)
        throw std::invalid_argument("invalid duration unit in '" + s + "' (use ms, s, m or h, e.g. 500ms, 30s, 5m)");
    const double ms = value * factor;
    if (!std::isfinite(ms) || ms > 1e15)
        throw std::invalid_argument("duration '" + s + "' is too large");
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::string format_duration(std::chrono::milliseconds d)
{
    const auto ms = d.count();
    if (ms != 0 && ms % 3'600'000 == 0)
        return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0)
        return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

CLI::Option* add_duration(CLI::App& app, const std::string& name, std::chrono::milliseconds& into,
                          const std::string& description, std::string_view bare_unit)
{
    const std::string unit(bare_unit);
    CLI::Validator check(
        [unit](std::string& value) -> std::string {
            try
            {
                parse_duration(value, unit);
                return {};
            }
            catch (const std::invalid_argument& e)
            {
                return e.what();
            }
        },
        "", "duration");
    auto* opt = app.add_option_function<std::string>(
        name, [&into, unit](const std::string& value) { into = parse_duration(value, unit); }, description);
    opt->check(check)->type_name("DURATION")->default_str(format_duration(into));
    return opt;
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates)
{
    auto strip = [](std::string_view w) {
        while (!w.empty() && w.front() == '-')
            w.remove_prefix(1);
        return w;
    };
    const auto bare = strip(word);
    if (bare.empty())
        return {};
    const std::size_t limit = std::max<std::size_t>(1, bare.size() / 3);
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const auto& c : candidates)
    {
        const auto cb = strip(c);
        std::size_t d = edit_distance(bare, cb);
        // A prefix of a longer name ("--completion-t") is a likely abbreviation too.
        if (cb.size() > bare.size() && bare.size() >= 3 && cb.substr(0, bare.size()) == bare)
            d = std::min<std::size_t>(d, 1);
        if (d < best_distance)
        {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

std::string version_line(std::string_view program)
{
    return std::string(program) + " " + MRB_VERSION + " (commit " + MRB_GIT_COMMIT + ")";
}

void apply(CLI::App& app, std::string_view program)
{
    const std::string name(program);
    if (app.get_option_no_throw("--version") == nullptr)
        app.set_version_flag("--version", version_line(program));
    app.failure_message([name](const CLI::App* a, const CLI::Error& e) { return failure_line(*a, e, name); });
}

int parse(CLI::App& app, int argc, const char* const* argv)
{
    parsed_argv.assign(argv + (argc > 0 ? 1 : 0), argv + argc);
    try
    {
        app.parse(argc, argv);
    }
    catch (const CLI::ParseError& e)
    {
        const int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }
    return -1;
}

int usage_error(std::string_view program, std::string_view message)
{
    std::cerr << program << ": " << one_line(std::string(message)) << " (" << program << " --help)\n";
    return exit_usage;
}

std::string cannot_listen(std::string_view host, unsigned port, std::string_view reason)
{
    std::string r(reason);
    if (const auto bracket = r.find(" ["); bracket != std::string::npos)
        r.erase(bracket); // Boost's "[system:98 at /usr/include/boost/...]"
    for (const char* op : {"bind: ", "listen: ", "open: ", "set_option: "})
        if (r.rfind(op, 0) == 0)
            r.erase(0, std::string_view(op).size());
    if (!r.empty())
        r[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(r[0])));
    std::string line = "cannot listen on ";
    const bool v6 = host.find(':') != std::string_view::npos;
    line += v6 ? "[" + std::string(host) + "]" : std::string(host);
    line += ":" + std::to_string(port) + ": " + one_line(r);
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.find("in use") != std::string::npos)
        line += " (another program has this port: stop it or choose another port)";
    else if (lower.find("permission") != std::string::npos)
        line += " (ports below 1024 need privileges: choose a higher port)";
    return line;
}

} // namespace mrb::cli_kit
