#include "cli_doc.hpp"

#include <CLI/CLI.hpp>

#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#ifndef MRB_VERSION
#define MRB_VERSION "unknown"
#endif
#ifndef MRB_GIT_COMMIT
#define MRB_GIT_COMMIT "unknown"
#endif
#ifndef MRB_SOURCE_DATE
#define MRB_SOURCE_DATE ""
#endif

namespace mrb::cli_doc
{

namespace
{

const char* const program = "model-runner-bridge";

// Subcommands with a name (CLI11 keeps option groups as nameless sub-apps).
std::vector<const CLI::App*> subcommands(const CLI::App& app)
{
    return app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
}

// Options a user can type: named, and not hidden (CLI11 hides an option by an empty group).
std::vector<const CLI::Option*> visible_options(const CLI::App& app)
{
    return app.get_options([](const CLI::Option* o) { return o->nonpositional() && !o->get_group().empty(); });
}

std::vector<std::string> spellings(const CLI::Option& o)
{
    std::vector<std::string> out;
    for (const auto& s : o.get_snames())
        out.push_back("-" + s);
    for (const auto& l : o.get_lnames())
        out.push_back("--" + l);
    return out;
}

bool takes_value(const CLI::Option& o) { return o.get_items_expected_max() > 0; }

// The choices of an IsMember check, which CLI11 appends to the type name as "{a,b}".
std::vector<std::string> choices(const CLI::Option& o)
{
    std::vector<std::string> out;
    const std::string t = o.get_type_name();
    const auto b = t.find('{'), e = t.find('}');
    if (b == std::string::npos || e == std::string::npos || e < b)
        return out;
    std::stringstream ss(t.substr(b + 1, e - b - 1));
    std::string item;
    while (std::getline(ss, item, ','))
        out.push_back(item);
    return out;
}

// The placeholder of a value: the type name without the check ("TEXT", "UINT").
std::string value_name(const CLI::Option& o)
{
    const auto c = choices(o);
    if (!c.empty())
    {
        std::string s;
        for (const auto& x : c)
            s += (s.empty() ? "" : "|") + x;
        return s;
    }
    std::string t = o.get_type_name();
    return t.substr(0, t.find(':'));
}

// roff: escape backslashes and hyphens, keep a leading dot or quote from becoming a request.
std::string roff(const std::string& text)
{
    std::string out;
    for (char ch : text)
    {
        if (ch == '\\')
            out += "\\e";
        else if (ch == '-')
            out += "\\-";
        else
            out += ch;
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\''))
        out = "\\&" + out;
    return out;
}

struct footer_item
{
    std::string key, text;
};
struct footer_block
{
    std::string heading;
    std::vector<footer_item> items;
};

// help_footer() as blocks: "Heading:" lines, then "  KEY  TEXT" items (two spaces end the key).
std::vector<footer_block> footer_blocks(const std::string& footer)
{
    std::vector<footer_block> blocks;
    std::stringstream ss(footer);
    std::string line;
    while (std::getline(ss, line))
    {
        if (line.empty())
            continue;
        if (line[0] != ' ' && line.back() == ':')
        {
            blocks.push_back({line.substr(0, line.size() - 1), {}});
            continue;
        }
        if (blocks.empty())
            continue;
        const auto start = line.find_first_not_of(' ');
        const auto gap = line.find("  ", start);
        if (start == 2 && gap != std::string::npos)
            blocks.back().items.push_back({line.substr(start, gap - start), line.substr(line.find_first_not_of(' ', gap))});
        else if (!blocks.back().items.empty()) // a continuation line
            blocks.back().items.back().text += " " + line.substr(start);
    }
    return blocks;
}

void man_options(std::ostringstream& o, const CLI::App& app)
{
    for (const auto* opt : visible_options(app))
    {
        o << ".TP\n";
        std::string head;
        for (const auto& s : spellings(*opt))
            head += (head.empty() ? "" : ", ") + std::string("\\fB") + roff(s) + "\\fR";
        if (takes_value(*opt))
            head += " \\fI" + roff(value_name(*opt)) + "\\fR";
        std::string desc = opt->get_description();
        if (!desc.empty() && desc.back() != '.')
            desc += '.';
        o << head << "\n" << roff(desc);
        if (!opt->get_default_str().empty())
            o << " Default: \\fB" << roff(opt->get_default_str()) << "\\fR.";
        if (!opt->get_envname().empty())
            o << " Environment: \\fB" << roff(opt->get_envname()) << "\\fR.";
        o << "\n";
    }
}

std::string zsh_quote(const std::string& s)
{
    std::string out;
    for (char ch : s)
    {
        if (ch == '\'')
            out += "'\\''";
        else if (ch == '[' || ch == ']' || ch == ':' || ch == '\\')
            out += std::string("\\") + ch;
        else
            out += ch;
    }
    return out;
}

void zsh_specs(std::ostringstream& o, const CLI::App& app)
{
    for (const auto* opt : visible_options(app))
    {
        std::string desc = opt->get_description();
        if (desc.size() > 70)
            desc = desc.substr(0, 67) + "...";
        for (const auto& s : spellings(*opt))
        {
            o << "    '" << s << "[" << zsh_quote(desc) << "]";
            if (takes_value(*opt))
            {
                const auto c = choices(*opt);
                o << ":" << zsh_quote(value_name(*opt)) << ":";
                if (!c.empty())
                {
                    o << "(";
                    for (std::size_t i = 0; i < c.size(); ++i)
                        o << (i ? " " : "") << c[i];
                    o << ")";
                }
                else
                    o << "_files";
            }
            o << "'\n";
        }
    }
}

std::string bash_completion(const CLI::App& app)
{
    std::ostringstream o;
    auto words = [](const CLI::App& a) {
        std::string s;
        for (const auto* opt : visible_options(a))
            for (const auto& sp : spellings(*opt))
                s += (s.empty() ? "" : " ") + sp;
        return s;
    };
    o << "# bash completion for " << program << "; generated by `" << program
      << " --completion bash` from its command-line definition.\n"
      << "_model_runner_bridge()\n{\n"
      << "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      << "    local sub=\"\" w\n"
      << "    for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n        case \"$w\" in\n";
    std::string names;
    for (const auto* s : subcommands(app))
        names += (names.empty() ? "" : "|") + s->get_name();
    o << "            " << names << ") sub=\"$w\" ;;\n        esac\n    done\n";

    // Values: a choice list, or files and free text.
    o << "    case \"$prev\" in\n";
    std::map<std::string, std::vector<std::string>> with_choices;
    std::set<std::string> with_value;
    auto collect = [&](const CLI::App& a) {
        for (const auto* opt : visible_options(a))
            if (takes_value(*opt))
                for (const auto& sp : spellings(*opt))
                {
                    const auto c = choices(*opt);
                    if (c.empty())
                        with_value.insert(sp);
                    else
                        with_choices[sp] = c;
                }
    };
    collect(app);
    for (const auto* s : subcommands(app))
        collect(*s);
    for (const auto& [flag, c] : with_choices)
    {
        std::string list;
        for (const auto& x : c)
            list += (list.empty() ? "" : " ") + x;
        o << "        " << flag << ") COMPREPLY=($(compgen -W \"" << list << "\" -- \"$cur\")); return ;;\n";
    }
    if (!with_value.empty())
    {
        std::string list;
        for (const auto& f : with_value)
            list += (list.empty() ? "" : "|") + f;
        o << "        " << list << ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
    }
    o << "    esac\n";

    o << "    local opts=\"" << words(app) << "\"\n    case \"$sub\" in\n";
    std::string sub_names;
    for (const auto* s : subcommands(app))
    {
        sub_names += (sub_names.empty() ? "" : " ") + s->get_name();
        o << "        " << s->get_name() << ") opts=\"$opts " << words(*s) << "\" ;;\n";
    }
    o << "        \"\") opts=\"$opts " << sub_names << "\" ;;\n    esac\n"
      << "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n}\n"
      << "complete -F _model_runner_bridge " << program << "\n";
    return o.str();
}

std::string zsh_completion(const CLI::App& app)
{
    std::ostringstream o;
    o << "#compdef " << program << "\n# zsh completion for " << program << "; generated by `" << program
      << " --completion zsh` from its command-line definition.\n"
      << "_model_runner_bridge() {\n  local curcontext=\"$curcontext\" state line\n  local -a global_opts commands\n"
      << "  global_opts=(\n";
    zsh_specs(o, app);
    o << "  )\n  commands=(\n";
    for (const auto* s : subcommands(app))
        o << "    '" << s->get_name() << ":" << zsh_quote(s->get_description()) << "'\n";
    o << "  )\n  _arguments -C $global_opts '1: :->command' '*:: :->args'\n"
      << "  case $state in\n    command) _describe -t commands '" << program << " command' commands ;;\n"
      << "    args)\n      case $words[1] in\n";
    for (const auto* s : subcommands(app))
    {
        o << "        " << s->get_name() << ") _arguments $global_opts \\\n";
        std::ostringstream specs;
        zsh_specs(specs, *s);
        std::stringstream ss(specs.str());
        std::string line;
        while (std::getline(ss, line))
            o << "    " << line << " \\\n";
        o << "          ;;\n";
    }
    o << "      esac ;;\n  esac\n}\n_model_runner_bridge \"$@\"\n";
    return o.str();
}

} // namespace

std::string help_footer()
{
    return "Environment:\n"
           "  MRB_*  an option with an Env: note above also reads that variable; a flag on the command line wins\n"
           "  HTTP_PROXY  the sandbox proxy when --proxy is not given (then http_proxy)\n"
           "  NO_PROXY  ignored on purpose, like no_proxy: inside a sandbox localhost is the VM itself (use --direct)\n"
           "  OPENCLAW_CONFIG_PATH  the openclaw.json that configure and doctor use (then $OPENCLAW_STATE_DIR/openclaw.json)\n"
           "Exit codes:\n"
           "  0  success; for serve a clean stop on SIGTERM/SIGINT, also after a drain timeout\n"
           "  1  unexpected internal error; for configure --dry-run: the file would change (diff's convention)\n"
           "  2  usage error: bad flag or value\n"
           "  3  cannot listen: address in use, permission\n"
           "  4  a hop of the chain failed (models, doctor network checks); status: no bridge answered at --admin-listen\n"
           "  5  openclaw.json cannot be parsed or written (configure)\n"
           "  6  doctor found a problem\n"
           "Log format:\n"
           "  ready  once listening, one line on stdout: model-runner-bridge listening on HOST:PORT; then, unless "
           "--admin-listen is off, model-runner-bridge admin at HOST:PORT\n"
           "  text  stderr lines TS LEVEL MSG key=value ...; one access line per request: TS LEVEL access status= method= "
           "path= dur_us= bytes_in= bytes_out= [detail=] flags= (comma list, - when empty) retried= sse_events= ttfb_us= "
           "upstream_reused=\n"
           "  debug  with --log-level debug, one 'exchange phases' line per request: microseconds from its start to the "
           "request head, the forwarded head, the upstream response head, the first byte to the client, and the end\n"
           "  json  with --log-format json, one object per line with ts, level, msg and the same fields; flags is an array\n"
           "  flags  UF proxy connection failed; UT upstream timeout; UR upstream reset or closed early; UPE upstream "
           "protocol error; PD proxy policy denial; DC client disconnected; DPE request rejected (framing, 400/413/431); "
           "RJ refused by the bridge's policy (CONNECT, foreign target, connection limit)\n"
           "See docs/bridge.md, or the man page model-runner-bridge(1).\n";
}

std::string global_options_block(const CLI::App& app)
{
    std::string out = "Global options (accepted before or after the subcommand; see " + std::string(program) +
                      " --help):\n";
    for (const auto* o : visible_options(app))
    {
        if (o->get_lnames().empty() || o->get_lnames().front() == "help" || o->get_lnames().front() == "version")
            continue;
        std::string line = "  --" + o->get_lnames().front();
        if (takes_value(*o))
            line += " " + value_name(*o);
        line += "  " + o->get_description();
        if (!o->get_default_str().empty())
            line += " [" + o->get_default_str() + "]";
        out += line + "\n";
    }
    return out;
}

std::string version_line()
{
    return std::string(program) + " " + MRB_VERSION + " (commit " + MRB_GIT_COMMIT + ")";
}

std::string man_page(const CLI::App& app)
{
    std::ostringstream o;
    std::string summary = app.get_description();
    if (const auto colon = summary.find(": "); colon != std::string::npos)
        summary = summary.substr(colon + 2);
    o << ".\\\" Generated by `" << program << " --help-man` from its command-line definition; do not edit.\n"
      << ".TH MODEL\\-RUNNER\\-BRIDGE 1 \"" << MRB_SOURCE_DATE << "\" \"" << roff(program) << " " << MRB_VERSION
      << "\" \"User Commands\"\n"
      << ".SH NAME\n" << roff(program) << " \\- " << roff(summary) << "\n"
      << ".SH SYNOPSIS\n.B " << roff(program) << "\n[\\fIOPTIONS\\fR] [\\fISUBCOMMAND\\fR [\\fISUBCOMMAND OPTIONS\\fR]]\n"
      << ".SH DESCRIPTION\n"
      << "Runs inside a Docker sandbox. It listens on loopback and relays every request, in absolute form, "
         "through the sandbox's HTTP proxy to Docker Model Runner on the host, streaming without buffering. "
         "Failures are answered with JSON errors that name the broken hop and its fix. "
         "Without a subcommand it serves; options are accepted before or after the subcommand.\n"
      << ".SH OPTIONS\n";
    man_options(o, app);
    o << ".SH SUBCOMMANDS\n";
    for (const auto* s : subcommands(app))
    {
        o << ".SS " << roff(s->get_name()) << "\n" << roff(s->get_description()) << "\n";
        man_options(o, *s);
    }
    // Every variable an option reads, then the footer's own lines.
    o << ".SH ENVIRONMENT\n";
    auto env_of = [&](const CLI::App& a, const std::string& prefix) {
        for (const auto* opt : visible_options(a))
            if (!opt->get_envname().empty())
                o << ".TP\n\\fB" << roff(opt->get_envname()) << "\\fR\nSame as \\fB" << roff(prefix)
                  << roff("--" + opt->get_lnames().front()) << "\\fR.\n";
    };
    env_of(app, "");
    for (const auto* s : subcommands(app))
        env_of(*s, s->get_name() + " ");
    const auto blocks = footer_blocks(help_footer());
    for (const auto& b : blocks)
    {
        if (b.heading != "Environment")
            continue;
        for (const auto& i : b.items)
            if (i.key != "MRB_*")
                o << ".TP\n\\fB" << roff(i.key) << "\\fR\n" << roff(i.text) << "\n";
    }
    for (const auto& b : blocks)
    {
        if (b.heading == "Environment")
            continue;
        std::string h = b.heading == "Exit codes" ? "EXIT STATUS" : b.heading;
        for (auto& ch : h)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        o << ".SH " << roff(h) << "\n";
        for (const auto& i : b.items)
            o << ".TP\n\\fB" << roff(i.key) << "\\fR\n" << roff(i.text) << "\n";
    }
    o << ".SH FILES\n.TP\n\\fI~/.openclaw/openclaw.json\\fR\nOpenClaw's configuration, edited by \\fBconfigure\\fR "
         "(JSON5; comments and layout outside the edited keys are kept).\n"
      << ".SH EXAMPLES\n.nf\n" << roff(program) << "\n" << roff(program) << " models\n" << roff(program)
      << " configure \\-\\-model ai/qwen2.5:7B\\-Q4_K_M\n" << roff(program) << " doctor\n.fi\n"
      << ".SH SEE ALSO\n\\fBstart\\-openclaw\\fR(1); /usr/share/doc/model\\-runner\\-bridge/\n";
    return o.str();
}

std::string completion(const CLI::App& app, const std::string& shell)
{
    if (shell == "bash")
        return bash_completion(app);
    if (shell == "zsh")
        return zsh_completion(app);
    throw std::invalid_argument("unknown shell '" + shell + "' (bash or zsh)");
}

} // namespace mrb::cli_doc
