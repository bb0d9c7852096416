#include "bridge_hop.hpp"

#include "child_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <regex>

namespace mrb::scenarios {

using mrb::test::child_process;

std::string bridge_choice::label() const { return ours() ? "model-runner-bridge" : command; }

bridge_hop::bridge_hop(bridge_choice choice) : choice_(std::move(choice)) {}
bridge_hop::~bridge_hop() { kill(); }

std::uint16_t bridge_hop::free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

bool bridge_hop::start(const nlohmann::json& section, const std::string& proxy_url, const std::string& target,
                       const std::filesystem::path& dir, std::chrono::milliseconds timeout, std::string& error) {
  std::vector<mrb::test::env_change> env;
  // The chain must not depend on the caller's proxy settings.
  for (const char* n : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY"})
    env.push_back({n, std::nullopt});
  std::vector<std::string> args;
  std::string program;
  const std::uint16_t fixed_port = section.value("listen_port", 0);
  if (choice_.ours()) {
    program = choice_.binary;
    args = {"--listen", "127.0.0.1:" + std::to_string(fixed_port), "--log-format", "json"};
    if (!proxy_url.empty()) args.insert(args.end(), {"--proxy", proxy_url});
    if (!target.empty()) args.insert(args.end(), {"--target", target});
    // `capture`: true writes ${dir}/capture.jsonl; a string names the file (kept after the run).
    if (section.contains("capture") && section["capture"].is_string())
      args.insert(args.end(), {"--capture", section["capture"].get<std::string>()});
    else if (section.value("capture", false))
      args.insert(args.end(), {"--capture", (dir / "capture.jsonl").string()});
    if (section.value("capture_bodies", false)) args.push_back("--capture-bodies");
  } else {
    // Seed-bridge style: everything through the environment, and it prints the port it was given.
    port_ = fixed_port ? fixed_port : free_port();
    program = "/bin/sh";
    args = {"-c", "exec " + choice_.command};
    env.push_back({"HTTP_PROXY", proxy_url});
    env.push_back({"BRIDGE_HOST", "127.0.0.1"});
    env.push_back({"BRIDGE_PORT", std::to_string(port_)});
    env.push_back({"TARGET", target});
  }
  for (const auto& a : section.value("args", std::vector<std::string>{})) args.push_back(a);
  const auto extra_env = section.value("env", nlohmann::json::object());
  for (const auto& [k, v] : extra_env.items()) {
    if (v.is_null()) env.push_back({k, std::nullopt});
    else env.push_back({k, v.get<std::string>()});
  }
  command_line_ = program;
  for (const auto& a : args) command_line_ += " " + a;
  try {
    child_ = std::make_unique<child_process>(program, args, env);
  } catch (const std::exception& e) {
    error = std::string("cannot start the bridge: ") + e.what();
    return false;
  }
  if (choice_.ours()) {
    static const std::regex ready(R"(^model-runner-bridge listening on (\S+):(\d+)$)");
    auto m = child_->wait_for_line(child_process::stream::out, ready, timeout);
    if (!m) {
      error = "no ready line within " + std::to_string(timeout.count()) + " ms";
      return false;
    }
    port_ = static_cast<std::uint16_t>(std::stoi((*m)[2]));
  } else {
    static const std::regex ready("listening");
    if (!child_->wait_for_line(child_process::stream::err, ready, timeout) &&
        !child_->wait_for_line(child_process::stream::out, ready, std::chrono::milliseconds(1))) {
      error = "no 'listening' line within " + std::to_string(timeout.count()) + " ms";
      return false;
    }
  }
  return true;
}

std::vector<nlohmann::json> bridge_hop::access_lines() const {
  std::vector<nlohmann::json> out;
  if (!child_) return out;
  for (auto& j : child_->json_lines(child_process::stream::err))
    if (j.value("msg", "") == "access") out.push_back(std::move(j));
  return out;
}

bool bridge_hop::signal(int signo) { return child_ && child_->signal(signo); }

std::optional<int> bridge_hop::wait_exit(std::chrono::milliseconds timeout) {
  if (!child_) return std::nullopt;
  return child_->wait_exit(timeout);
}

std::optional<int> bridge_hop::exit_status() const { return child_ ? child_->exit_status() : std::nullopt; }

std::string bridge_hop::output() const {
  if (!child_) return "(not started)";
  std::string out = child_->text(child_process::stream::out);
  std::string err = child_->text(child_process::stream::err);
  if (err.size() > 12000) err = "..." + err.substr(err.size() - 12000);
  return "stdout:\n" + out + "stderr:\n" + err;
}

void bridge_hop::kill() {
  if (!child_) return;
  // child_process's destructor SIGKILLs the group and reaps it.
  child_.reset();
}

bridge_hop::run_result bridge_hop::run(const std::vector<std::string>& args,
                                       const std::vector<std::pair<std::string, std::string>>& env,
                                       std::chrono::milliseconds timeout) const {
  run_result r;
  std::vector<mrb::test::env_change> changes;
  for (const auto& [k, v] : env) changes.push_back({k, v});
  child_process p(choice_.binary, args, changes);
  r.exit_code = p.wait_exit(timeout);
  r.out = p.text(child_process::stream::out);
  r.err = p.text(child_process::stream::err);
  return r;
}

}  // namespace mrb::scenarios
