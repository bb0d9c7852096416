#include "bridge_process.hpp"

#include <string_view>

extern char** environ;

namespace mrb::test {

bridge_process::bridge_process(bridge_options opts) : options_(std::move(opts))
{
}

testing::AssertionResult bridge_process::start()
{
    std::vector<std::string> args;
    if (!options_.listen.empty()) {
        args.push_back("--listen");
        args.push_back(options_.listen);
    }
    if (!options_.admin_listen.empty()) {
        args.push_back("--admin-listen");
        args.push_back(options_.admin_listen);
    }
    if (options_.json_log) {
        args.push_back("--log-format");
        args.push_back("json");
    }
    args.insert(args.end(), options_.args.begin(), options_.args.end());
    // The developer's own proxy settings and MRB_* flag fallbacks must not leak into a test.
    std::vector<env_change> env = {{"HTTP_PROXY", std::nullopt}, {"http_proxy", std::nullopt},
        {"NO_PROXY", std::nullopt}, {"no_proxy", std::nullopt}};
    for (char** e = environ; e && *e; ++e) {
        const std::string_view kv = *e;
        if (kv.rfind("MRB_", 0) == 0)
            env.push_back({std::string(kv.substr(0, kv.find('='))), std::nullopt});
    }
    // The failure journal (last-failures-<port>.json) goes to the test's temp folder, never to
    // the developer's ~/.local/state; a test that reads it sets XDG_STATE_HOME itself.
    env.push_back({"XDG_STATE_HOME", ::testing::TempDir() + "mrb-bridge-state"});
    env.insert(env.end(), options_.env.begin(), options_.env.end());
    try {
        child_ = std::make_unique<child_process>(options_.program, std::move(args), std::move(env));
    } catch (const std::exception& e) {
        return testing::AssertionFailure() << "cannot start " << options_.program << ": " << e.what();
    }
    static const std::regex ready(R"(^model-runner-bridge listening on (.+):([0-9]+)$)");
    const auto m = child_->wait_for_line(child_process::stream::out, ready, options_.ready_timeout);
    if (!m)
        return testing::AssertionFailure() << "no ready line within " << options_.ready_timeout.count()
                                           << " ms\n" << output();
    port_ = static_cast<std::uint16_t>(std::stoi((*m)[2]));
    if (port_ == 0)
        return testing::AssertionFailure() << "ready line names port 0\n" << output();
    if (!options_.admin_listen.empty() && options_.admin_listen != "off") {
        // Printed right after the ready line.
        static const std::regex admin(R"(^model-runner-bridge admin at (.+):([0-9]+)$)");
        const auto a = child_->wait_for_line(child_process::stream::out, admin, options_.ready_timeout);
        if (!a)
            return testing::AssertionFailure() << "no admin line after the ready line\n" << output();
        admin_port_ = static_cast<std::uint16_t>(std::stoi((*a)[2]));
    }
    return testing::AssertionSuccess();
}

std::vector<nlohmann::json> bridge_process::log_entries() const
{
    return child_ ? child_->json_lines(child_process::stream::err) : std::vector<nlohmann::json>{};
}

std::vector<nlohmann::json> bridge_process::access_log() const
{
    std::vector<nlohmann::json> out;
    for (auto& j : log_entries())
        if (j.value("msg", "") == "access")
            out.push_back(std::move(j));
    return out;
}

testing::AssertionResult bridge_process::wait_for_access_log(std::size_t n, std::chrono::milliseconds timeout) const
{
    if (!child_)
        return testing::AssertionFailure() << "bridge not started";
    // Count access lines as they arrive; the child's line wait gives us the condition variable.
    static const std::regex access(R"("msg"\s*:\s*"access")");
    std::size_t from = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (std::size_t seen = 0; seen < n; ++seen) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !child_->wait_for_line(child_process::stream::err, access, left, from))
            return testing::AssertionFailure() << "saw " << access_log().size() << " access-log entries, expected " << n
                                               << " within " << timeout.count() << " ms\n" << output();
        // Continue after the line that matched.
        const auto lines = child_->lines(child_process::stream::err);
        for (std::size_t i = from; i < lines.size(); ++i)
            if (std::regex_search(lines[i], access)) {
                from = i + 1;
                break;
            }
    }
    return testing::AssertionSuccess();
}

std::string bridge_process::output() const
{
    if (!child_)
        return "(not started)";
    return "--- bridge stdout ---\n" + child_->text(child_process::stream::out) + "--- bridge stderr ---\n"
        + child_->text(child_process::stream::err);
}

bool has_flag(const nlohmann::json& entry, const std::string& flag)
{
    const auto it = entry.find("flags");
    if (it == entry.end() || !it->is_array())
        return false;
    for (const auto& f : *it)
        if (f.is_string() && f.get<std::string>() == flag)
            return true;
    return false;
}

}  // namespace mrb::test
