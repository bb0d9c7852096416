#include "request_builder.hpp"

#include <boost/url/parse.hpp>

namespace fakes::openclaw {

namespace {

nlohmann::ordered_json
function_tool(char const* name, char const* description, nlohmann::ordered_json properties,
    std::vector<std::string> required)
{
    nlohmann::ordered_json parameters = {
        {"type", "object"}, {"properties", std::move(properties)}, {"required", required}};
    return {{"type", "function"},
        {"function", {{"name", name}, {"description", description}, {"parameters", parameters}}}};
}

nlohmann::ordered_json
prop(char const* type, char const* description)
{
    return {{"type", type}, {"description", description}};
}

std::string
build_system_prompt()
{
    // Shaped like OpenClaw's agent prompt (identity, tooling, safety, workspace files); the
    // size is what matters to the chain (a ~33 kB request body), not the wording.
    std::string p =
        "You are a personal assistant running inside OpenClaw.\n\n"
        "## Tooling\nTool availability (filtered by policy):\n"
        "- read: Read file contents\n- write: Create or overwrite files\n"
        "- edit: Make precise edits to files\n- exec: Run shell commands\n"
        "- process: Manage background exec sessions\n- web_search: Search the web\n"
        "- web_fetch: Fetch and extract readable content from a URL\n"
        "- message: Send messages and channel actions\n- sessions_list: List sessions\n"
        "- memory_search: Search memory files\n- session_status: Show session status\n\n"
        "## Safety\nNever exfiltrate secrets. Ask before destructive actions. Prefer reversible "
        "changes and explain what you are about to do.\n\n"
        "## Workspace\nYour working directory is /home/agent/workspace.\n\n"
        "## Project Context\nThe following workspace files were loaded:\n";
    static constexpr char const* files[] = {"AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md",
        "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"};
    for (int i = 0; p.size() < request_builder::system_prompt_chars; ++i)
    {
        p += "\n### ";
        p += files[i % 8];
        p += " (section " + std::to_string(i) + ")\n";
        p += "Keep replies short and concrete. When a task needs a tool, call it instead of "
             "guessing; read a file before editing it; run commands in the workspace only. "
             "Summarise what changed at the end of each turn, and never invent file contents, "
             "command output or URLs you have not fetched.\n";
    }
    p.resize(request_builder::system_prompt_chars);
    return p;
}

nlohmann::ordered_json
build_tools()
{
    using oj = nlohmann::ordered_json;
    auto const path = prop("string", "Path to the file (relative to the workspace or absolute)");
    oj t = oj::array();
    t.push_back(function_tool("read", "Read the contents of a file.",
        {{"path", path}, {"offset", prop("number", "Line to start from (1-indexed)")},
            {"limit", prop("number", "Maximum number of lines to read")}},
        {"path"}));
    t.push_back(function_tool("write", "Write content to a file, creating it if needed.",
        {{"path", path}, {"content", prop("string", "Content to write")}}, {"path", "content"}));
    t.push_back(function_tool("edit", "Replace exact text in a file.",
        {{"path", path}, {"oldText", prop("string", "Exact text to find")},
            {"newText", prop("string", "Replacement text")}},
        {"path", "oldText", "newText"}));
    t.push_back(function_tool("exec", "Run a shell command in the workspace.",
        {{"command", prop("string", "Shell command to run")},
            {"workdir", prop("string", "Working directory")},
            {"timeout", prop("number", "Timeout in seconds")},
            {"background", prop("boolean", "Run in the background")}},
        {"command"}));
    t.push_back(function_tool("process", "Manage running background exec sessions.",
        {{"action", {{"type", "string"}, {"enum", {"list", "poll", "log", "write", "kill"}},
                        {"description", "What to do"}}},
            {"sessionId", prop("string", "Session id for actions other than list")}},
        {"action"}));
    t.push_back(function_tool("web_search", "Search the web.",
        {{"query", prop("string", "Search query")},
            {"count", prop("number", "Number of results (1-10)")}},
        {"query"}));
    t.push_back(function_tool("web_fetch", "Fetch a URL and extract readable content.",
        {{"url", prop("string", "HTTP or HTTPS URL")},
            {"maxChars", prop("number", "Maximum characters to return")}},
        {"url"}));
    t.push_back(function_tool("message", "Send a message or a channel action.",
        {{"action", prop("string", "send, react, edit or delete")},
            {"to", prop("string", "Recipient or channel")},
            {"text", prop("string", "Message text")}},
        {"action"}));
    t.push_back(function_tool("sessions_list", "List sessions with optional filters.",
        {{"limit", prop("number", "Maximum number of sessions")},
            {"activeMinutes", prop("number", "Only sessions active in the last N minutes")}},
        {}));
    t.push_back(function_tool("memory_search", "Search MEMORY.md and memory/*.md.",
        {{"query", prop("string", "What to look for")},
            {"maxResults", prop("number", "Maximum number of snippets")}},
        {"query"}));
    t.push_back(function_tool("session_status", "Show the current session's status and model.",
        {{"sessionKey", prop("string", "Session to inspect (default: current)")}}, {}));
    return t;
}

}  // namespace

std::string
built_request::header(std::string_view name) const
{
    for (auto const& [n, v] : headers)
        if (n == name)
            return v;
    return {};
}

std::string const&
request_builder::system_prompt()
{
    static std::string const prompt = build_system_prompt();
    return prompt;
}

nlohmann::ordered_json const&
request_builder::tools()
{
    static nlohmann::ordered_json const t = build_tools();
    return t;
}

std::string
request_builder::make_traceparent(std::mt19937_64& rng)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string s = "00-";
    for (int i = 0; i < 32; ++i)
        s += hex[rng() & 0xF];
    s += '-';
    for (int i = 0; i < 16; ++i)
        s += hex[rng() & 0xF];
    s += "-01";
    return s;
}

nlohmann::ordered_json
request_builder::body(resolved_model const& model, std::string_view message)
{
    using oj = nlohmann::ordered_json;
    oj messages = oj::array();
    messages.push_back({{"role", "system"}, {"content", system_prompt()}});
    messages.push_back({{"role", "user"},
        {"content", oj::array({{{"type", "text"}, {"text", std::string(message)}}})}});
    oj b;
    b["model"] = model.model_id;
    b["messages"] = std::move(messages);
    b["stream"] = true;
    b["stream_options"] = {{"include_usage", true}};
    b["tools"] = tools();
    b["tool_choice"] = "auto";
    if (model.max_tokens)
        b[model.max_tokens_field] = *model.max_tokens;
    return b;
}

built_request
request_builder::build(
    resolved_model const& model, std::string_view message, std::string_view traceparent)
{
    built_request r;
    auto url = boost::urls::parse_absolute_uri(model.base_url);
    if (!url)
    {
        r.error = "baseUrl \"" + model.base_url + "\" is not an absolute URL";
        return r;
    }
    if (url->scheme() != "http")
    {
        r.error = "baseUrl \"" + model.base_url + "\": fake-openclaw speaks plain http only";
        return r;
    }
    r.connect_host = url->host();
    if (r.connect_host.size() > 2 && r.connect_host.front() == '[')
        r.connect_host = r.connect_host.substr(1, r.connect_host.size() - 2);
    r.connect_port = url->has_port() ? std::string(url->port()) : "80";

    // The SDK appends the route to baseUrl's path.
    auto const encoded_path = url->encoded_path();
    std::string path(encoded_path.data(), encoded_path.size());
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    r.target = path + "/chat/completions";

    // Node writes host:port unless the port is the scheme's default.
    auto const encoded_host = url->encoded_host();
    std::string host(encoded_host.data(), encoded_host.size());
    if (url->has_port() && url->port() != "80")
        host += ":" + std::string(url->port());

    r.body = body(model, message).dump();
    r.headers = {
        {"host", host},
        {"connection", "keep-alive"},
        {"accept", "application/json"},
        {"authorization", "Bearer " + model.api_key},
        {"content-type", "application/json"},
        {"traceparent", std::string(traceparent)},
        {"user-agent", "OpenAI/JS 7.15.0"},
        {"x-stainless-arch", "x64"},
        {"x-stainless-lang", "js"},
        {"x-stainless-os", "Linux"},
        {"x-stainless-package-version", "7.15.0"},
        {"x-stainless-retry-count", "0"},
        {"x-stainless-runtime", "node"},
        {"x-stainless-runtime-version", "v24.21.0"},
        {"accept-language", "*"},
        {"sec-fetch-mode", "cors"},
        {"accept-encoding", "gzip, deflate"},
    };
    for (auto const& h : model.extra_headers)
        r.headers.push_back(h);
    r.headers.emplace_back("content-length", std::to_string(r.body.size()));
    return r;
}

}  // namespace fakes::openclaw
