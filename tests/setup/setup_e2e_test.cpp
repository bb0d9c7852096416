// End to end against the fakes: `models`, `configure` and `doctor` run through the fake sandbox
// proxy to the fake Model Runner, each injected fault (proxy down, denial, runner refused, no
// models) diagnosed as it should be, and start-openclaw run with a stand-in `openclaw`.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "bridge/core/bridge_config.hpp"
#include "bridge/setup/chain_client.hpp"
#include "bridge/setup/config_file.hpp"
#include "bridge/setup/doctor.hpp"
#include "bridge/setup/json5_document.hpp"
#include "bridge/setup/openclaw_config.hpp"
#include "child_process.hpp"
#include "fake_model_runner.hpp"
#include "loopback_port.hpp"
#include "sandbox_proxy/fake_sandbox_proxy.hpp"

namespace mrb::setup {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using status = doctor_check::status;
using test::child_process;
using test::env_change;

// A tiny Model Runner stand-in for what the fake cannot be told to do (an empty model list):
// fixed JSON per path, one request per connection.
class stub_runner {
public:
  explicit stub_runner(std::map<std::string, std::string> routes)
      : routes_(std::move(routes)), acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~stub_runner() {
    net::post(ioc_, [this] { acceptor_.close(); });
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, net::ip::tcp::socket socket) {
      if (ec) return;
      serve(socket);
      accept();
    });
  }
  void serve(net::ip::tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    // The proxy may forward in origin-form or absolute-form.
    std::string path(req.target());
    if (path.rfind("http://", 0) == 0) path = path.substr(std::min(path.find('/', 7), path.size()));
    const auto it = routes_.find(path);
    http::response<http::string_body> res{it == routes_.end() ? http::status::not_found : http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = it == routes_.end() ? "404 page not found\n" : it->second;
    res.keep_alive(false);
    res.prepare_payload();
    http::write(socket, res, ec);
    socket.shutdown(net::ip::tcp::socket::shutdown_both, ec);
  }

  std::map<std::string, std::string> routes_;
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

// Sets (or adds) one variable in a child's environment list.
void set_env(std::vector<env_change>& env, const std::string& name, std::string value) {
  for (auto& e : env) {
    if (e.name == name) {
      e.value = std::move(value);
      return;
    }
  }
  env.push_back({name, std::move(value)});
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class temp_dir {
public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mrb-setup-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~temp_dir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

fakes::sandbox_proxy::proxy_options allowing_proxy(bool allow_localhost) {
  fakes::sandbox_proxy::proxy_options o;
  o.port = 0;
  o.use_environment = false;
  if (allow_localhost) o.policy.allow_hosts = {"localhost"};  // docker sandbox network proxy ... --allow-host localhost
  return o;
}

class setup_e2e : public testing::Test {
protected:
  void SetUp() override {
    runner_.start();
    proxy_ = std::make_unique<fakes::sandbox_proxy::fake_sandbox_proxy>(allowing_proxy(true));
    proxy_->start();
    config_.listen_port = test::unused_loopback_port();
    use_runner_port(runner_.port());
    config_.connect_timeout = 2s;
  }

  void use_runner_port(std::uint16_t port) {
    config_.target_host = "localhost";
    config_.target_port = port;
    config_.proxy = proxy_endpoint{"127.0.0.1", proxy_->port(), "", "http://127.0.0.1:" + std::to_string(proxy_->port())};
  }

  doctor_options options() const {
    doctor_options o;
    o.openclaw_config = dir_.path() / "openclaw.json";
    o.request_timeout = 5s;
    o.completion_timeout = 10s;
    o.env = [](const char* name) -> std::optional<std::string> {
      if (std::string(name) == "HTTP_PROXY") return "set-by-the-sandbox";
      return std::nullopt;
    };
    return o;
  }

  std::vector<doctor_check> run_doctor() const { return doctor{config_, options()}.run(); }

  static const doctor_check& find(const std::vector<doctor_check>& checks, const std::string& name) {
    for (const auto& c : checks) {
      if (c.name == name) return c;
    }
    throw std::runtime_error("no check named " + name);
  }

  std::vector<env_change> bridge_env() const {
    return {{"HTTP_PROXY", "http://127.0.0.1:" + std::to_string(proxy_->port())},
            {"http_proxy", std::nullopt},
            {"MRB_TARGET", "localhost:" + std::to_string(config_.target_port)},
            {"MRB_LISTEN", "127.0.0.1:" + std::to_string(config_.listen_port)},
            // An ephemeral admin port: parallel tests never contend for 54322.
            {"MRB_ADMIN_LISTEN", "127.0.0.1:0"},
            {"OPENCLAW_CONFIG_PATH", (dir_.path() / "home" / ".openclaw" / "openclaw.json").string()}};
  }

  fakes::model_runner::fake_model_runner runner_;
  std::unique_ptr<fakes::sandbox_proxy::fake_sandbox_proxy> proxy_;
  bridge_config config_;
  temp_dir dir_;
};

// --- models ----------------------------------------------------------------------------------

TEST_F(setup_e2e, models_json_through_the_proxy) {
  child_process p(MRB_BRIDGE_BIN, {"models", "--json"}, bridge_env());
  ASSERT_EQ(p.wait_exit(30s), 0) << p.text(child_process::stream::err);
  const auto list = nlohmann::json::parse(p.text(child_process::stream::out));
  ASSERT_EQ(list.size(), 2u);
  std::set<std::string> ids;
  for (const auto& m : list) ids.insert(m["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"ai/smollm2:latest", "ai/qwen2.5:7B-Q4_K_M"}));
  // They went through the proxy, in absolute-form, to the runner.
  EXPECT_TRUE(proxy_->wait_for_requests(2, 5s));
  EXPECT_TRUE(runner_.wait_for_requests(2, 5s));
}

TEST_F(setup_e2e, models_table_and_hop_error_wording) {
  child_process ok(MRB_BRIDGE_BIN, {"models"}, bridge_env());
  ASSERT_EQ(ok.wait_exit(30s), 0);
  EXPECT_NE(ok.text(child_process::stream::out).find("ai/smollm2:latest"), std::string::npos);
  EXPECT_NE(ok.text(child_process::stream::out).find("MODEL"), std::string::npos);

  proxy_->stop();
  child_process down(MRB_BRIDGE_BIN, {"models"}, bridge_env());
  ASSERT_EQ(down.wait_exit(30s), 4);
  const auto err = down.text(child_process::stream::err);
  EXPECT_NE(err.find("the sandbox proxy at 127.0.0.1:" + std::to_string(config_.proxy->port) + " refused the connection"),
            std::string::npos) << err;
  EXPECT_NE(err.find("fix: "), std::string::npos) << err;
}

// --- doctor ----------------------------------------------------------------------------------

TEST_F(setup_e2e, doctor_all_green_with_a_configured_model) {
  json5_error error;
  openclaw_settings settings;
  settings.base_url = openclaw_config::base_url("127.0.0.1:" + std::to_string(config_.listen_port));
  settings.models = {{"ai/smollm2:latest", 8192, "", "", "", ""}};
  settings.primary = "ai/smollm2:latest";
  std::error_code ec;
  config_file::write(dir_.path() / "openclaw.json", *openclaw_config::merge("", settings, error), ec);
  ASSERT_FALSE(ec);

  // doctor tests the running bridge: start one on the configured port.
  child_process bridge(MRB_BRIDGE_BIN, {}, bridge_env());
  ASSERT_TRUE(bridge.expect_line(child_process::stream::out, std::regex("listening on"), 30s));
  auto o = options();
  o.deep = true;
  std::vector<std::string> progress;
  o.on_check = [&](const doctor_check& c) { progress.push_back(c.name); };
  std::vector<std::string> waits;  // what a terminal shows while each answer is awaited
  o.on_wait = [&](const std::string& what) { waits.push_back(what); };
  const auto checks = doctor{config_, o}.run();
  EXPECT_NE(std::find(waits.begin(), waits.end(), "the model list through the bridge"), waits.end());
  EXPECT_NE(std::find(waits.begin(), waits.end(), "the Model Runner's model list"), waits.end());
  EXPECT_TRUE(doctor::all_passed(checks)) << doctor::to_text(checks);
  // Every check was reported as it completed, in order.
  ASSERT_EQ(progress.size(), checks.size());
  for (std::size_t i = 0; i < checks.size(); ++i) EXPECT_EQ(progress[i], checks[i].name);
  EXPECT_EQ(find(checks, "bridge running").result, status::ok);
  EXPECT_EQ(find(checks, "models through the bridge").result, status::ok);
  EXPECT_EQ(find(checks, "completion through the bridge").result, status::ok) << doctor::to_text(checks);
  const auto& answer = find(checks, "model answers");
  EXPECT_EQ(answer.result, status::ok);
  EXPECT_NE(answer.detail.find("ai/smollm2:latest"), std::string::npos);
  EXPECT_TRUE(answer.latency_ms.has_value());
  // The completion really reached the Model Runner with one token asked for.
  bool completion_seen = false;
  for (const auto& r : runner_.requests()) completion_seen |= r.target.find("/chat/completions") != std::string::npos;
  EXPECT_TRUE(completion_seen);
}

TEST_F(setup_e2e, doctor_proxy_down) {
  proxy_->stop();
  const auto checks = run_doctor();
  EXPECT_FALSE(doctor::all_passed(checks));
  const auto& reach = find(checks, "proxy reachable");
  EXPECT_EQ(reach.result, status::fail);
  EXPECT_NE(reach.detail.find("refused the connection"), std::string::npos) << reach.detail;
  EXPECT_NE(reach.fix.find("HTTP_PROXY"), std::string::npos);
  EXPECT_EQ(find(checks, "proxy allows the target").result, status::skip);
  EXPECT_EQ(find(checks, "Model Runner answering").result, status::skip);
  EXPECT_EQ(find(checks, "models pulled").result, status::skip);
}

TEST_F(setup_e2e, doctor_policy_denial_names_the_allow_host_command) {
  proxy_->stop();
  proxy_ = std::make_unique<fakes::sandbox_proxy::fake_sandbox_proxy>(allowing_proxy(false));
  proxy_->start();
  use_runner_port(runner_.port());
  const auto checks = run_doctor();
  const auto& allow = find(checks, "proxy allows the target");
  EXPECT_EQ(allow.result, status::fail) << doctor::to_text(checks);
  EXPECT_NE(allow.detail.find("blocked"), std::string::npos) << allow.detail;
  EXPECT_EQ(allow.fix.rfind("docker sandbox network proxy <sandbox> --allow-host localhost", 0), 0u) << allow.fix;
  EXPECT_EQ(find(checks, "proxy reachable").result, status::ok);
  EXPECT_EQ(find(checks, "Model Runner answering").result, status::skip);
  // Nothing reached the Model Runner.
  EXPECT_TRUE(runner_.requests().empty());
}

TEST_F(setup_e2e, doctor_runner_refused_behind_the_proxy) {
  runner_.stop();
  const auto checks = run_doctor();
  EXPECT_EQ(find(checks, "proxy allows the target").result, status::ok);
  const auto& runner = find(checks, "Model Runner answering");
  EXPECT_EQ(runner.result, status::fail) << doctor::to_text(checks);
  EXPECT_NE(runner.detail.find("cannot reach the Model Runner"), std::string::npos) << runner.detail;
  EXPECT_NE(runner.fix.find("docker desktop enable model-runner --tcp " + std::to_string(config_.target_port)),
            std::string::npos) << runner.fix;
}

TEST_F(setup_e2e, doctor_no_models_pulled) {
  stub_runner empty({{"/models", "[]"}, {"/engines/v1/models", R"({"object":"list","data":[]})"}});
  use_runner_port(empty.port());
  const auto checks = run_doctor();
  const auto& pulled = find(checks, "models pulled");
  EXPECT_EQ(pulled.result, status::fail) << doctor::to_text(checks);
  EXPECT_EQ(pulled.fix.rfind("docker model pull ", 0), 0u) << pulled.fix;
  EXPECT_EQ(find(checks, "Model Runner answering").result, status::ok);
  EXPECT_EQ(find(checks, "model answers").result, status::skip);
}

TEST_F(setup_e2e, doctor_reports_a_completion_that_does_not_answer_in_time) {
  fakes::model_runner::runner_options slow_options;
  slow_options.load_delay = 5s;  // the first inference request per model waits this long
  fakes::model_runner::fake_model_runner slow(slow_options);
  slow.start();
  use_runner_port(slow.port());
  auto o = options();
  o.completion_timeout = 300ms;
  const auto checks = doctor{config_, o}.run();
  EXPECT_EQ(find(checks, "models pulled").result, status::ok) << doctor::to_text(checks);
  const auto& answer = find(checks, "model answers");
  EXPECT_EQ(answer.result, status::fail);
  EXPECT_NE(answer.detail.find("in time"), std::string::npos) << answer.detail;
  EXPECT_NE(answer.fix.find("docker model status"), std::string::npos) << answer.fix;
}

TEST_F(setup_e2e, doctor_port_taken_by_something_else_and_missing_config) {
  test::listening_socket squatter;
  config_.listen_port = squatter.port();
  const auto checks = run_doctor();
  // The squatter never answers: doctor must not call it a bridge.
  EXPECT_EQ(find(checks, "bridge running").result, status::fail);
  EXPECT_NE(find(checks, "bridge running").detail.find("another program"), std::string::npos);
  const auto& cfg = find(checks, "openclaw.json");
  EXPECT_EQ(cfg.result, status::fail);
  EXPECT_NE(cfg.fix.find("model-runner-bridge configure"), std::string::npos);
}

// No bridge running is a failure; each printed fix, pasted as printed (the flags the user gave
// included), makes the next doctor pass.
TEST_F(setup_e2e, doctor_without_a_bridge_fails_and_its_fixes_work_when_pasted) {
  const auto cfg = (dir_.path() / "elsewhere" / "openclaw.json").string();
  const std::vector<std::string> flags = {"--listen", "127.0.0.1:" + std::to_string(config_.listen_port),
                                          "--proxy", "http://127.0.0.1:" + std::to_string(proxy_->port()),
                                          "--target", "localhost:" + std::to_string(config_.target_port)};
  const std::vector<env_change> env = {{"HTTP_PROXY", std::nullopt}, {"http_proxy", std::nullopt},
                                       {"MRB_LISTEN", std::nullopt}, {"MRB_TARGET", std::nullopt},
                                       {"OPENCLAW_CONFIG_PATH", std::nullopt}};
  auto args = std::vector<std::string>{"doctor", "--json", "--config", cfg};
  args.insert(args.end(), flags.begin(), flags.end());
  child_process first(MRB_BRIDGE_BIN, args, env);
  ASSERT_EQ(first.wait_exit(60s), 6) << first.text(child_process::stream::out);
  const auto report = nlohmann::json::parse(first.text(child_process::stream::out));
  std::vector<std::string> fixes;
  for (const auto& c : report["checks"]) {
    if (c["status"] == "fail") fixes.push_back(c.value("fix", ""));
    if (c["name"] == "bridge running") EXPECT_EQ(c["status"], "fail");
  }
  ASSERT_EQ(fixes.size(), 2u) << report.dump(2);  // start the bridge; configure openclaw.json
  std::vector<std::unique_ptr<child_process>> running;
  for (const auto& fix : fixes) {
    ASSERT_EQ(fix.rfind("model-runner-bridge ", 0), 0u) << fix;
    EXPECT_NE(fix.find("--listen 127.0.0.1:" + std::to_string(config_.listen_port)), std::string::npos) << fix;
    const std::string command = std::string("exec ") + MRB_BRIDGE_BIN + fix.substr(std::string("model-runner-bridge").size());
    if (fix.find(" configure") == std::string::npos) {
      // The bridge itself: it runs until stopped.
      running.push_back(std::make_unique<child_process>("/bin/sh", std::vector<std::string>{"-c", command}, env));
      ASSERT_TRUE(running.back()->expect_line(child_process::stream::out, std::regex("listening on"), 30s));
    } else {
      child_process paste("/bin/sh", {"-c", command}, env);
      ASSERT_EQ(paste.wait_exit(60s), 0) << command << "\n" << paste.text(child_process::stream::err);
    }
  }
  child_process again(MRB_BRIDGE_BIN, args, env);
  EXPECT_EQ(again.wait_exit(60s), 0) << again.text(child_process::stream::out);
}

// Text mode prints each check on its own line as it completes, and the bridge's journal.
TEST_F(setup_e2e, doctor_text_shows_the_last_failure_per_hop_from_the_journal) {
  const auto state = dir_.path() / "state";
  std::filesystem::create_directories(state / "model-runner-bridge");
  std::ofstream(state / "model-runner-bridge" / ("last-failures-" + std::to_string(config_.listen_port) + ".json"))
      << R"({"proxy":{"time":"2026-11-28T10:00:00Z","status":451,"kind":"proxy_policy_denied",)"
      << R"("message":"the proxy denied localhost:12434","fix":"docker sandbox network proxy x --allow-host localhost:12434"}})";
  auto env = bridge_env();
  env.push_back({"XDG_STATE_HOME", state.string()});
  child_process p(MRB_BRIDGE_BIN, {"doctor"}, env);
  ASSERT_EQ(p.wait_exit(60s), 6);
  const auto out = p.text(child_process::stream::out);
  EXPECT_NE(out.find("FAIL  bridge running"), std::string::npos) << out;
  EXPECT_NE(out.find("  proxy  2026-11-28T10:00:00Z  451 proxy_policy_denied: the proxy denied localhost:12434\n"
                     "      fix: docker sandbox network proxy x --allow-host localhost:12434\n"),
            std::string::npos)
      << out;
}

TEST_F(setup_e2e, doctor_process_json_and_exit_code) {
  proxy_->stop();
  child_process p(MRB_BRIDGE_BIN, {"doctor", "--json", "--timeout", "5"}, bridge_env());
  ASSERT_EQ(p.wait_exit(60s), 6) << p.text(child_process::stream::err);
  const auto report = nlohmann::json::parse(p.text(child_process::stream::out));
  EXPECT_EQ(report["ok"], false);
  ASSERT_GE(report["checks"].size(), 8u);
  EXPECT_EQ(report["checks"][1]["name"], "proxy reachable");
  EXPECT_EQ(report["checks"][1]["status"], "fail");
  EXPECT_TRUE(report["checks"][1].contains("fix"));
}

// --- configure -------------------------------------------------------------------------------

TEST_F(setup_e2e, configure_writes_atomically_keeps_a_backup_and_is_idempotent) {
  const auto path = dir_.path() / "home" / ".openclaw" / "openclaw.json";
  child_process first(MRB_BRIDGE_BIN, {"configure", "--model", "smollm2"}, bridge_env());
  ASSERT_EQ(first.wait_exit(30s), 0) << first.text(child_process::stream::err);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const auto written = slurp(path);
  json5_error error;
  const auto value = json5_document::parse(written, error)->to_json();
  EXPECT_EQ(value["agents"]["defaults"]["model"]["primary"], "docker-model-runner/ai/smollm2:latest");
  EXPECT_EQ(value["models"]["providers"]["docker-model-runner"]["baseUrl"],
            "http://127.0.0.1:" + std::to_string(config_.listen_port) + "/engines/llama.cpp/v1");
  EXPECT_EQ(value["models"]["providers"]["docker-model-runner"]["models"].size(), 2u);

  child_process second(MRB_BRIDGE_BIN, {"configure", "--model", "smollm2"}, bridge_env());
  ASSERT_EQ(second.wait_exit(30s), 0);
  EXPECT_EQ(slurp(path), written);
  EXPECT_TRUE(config_file::backups(path).empty());  // nothing changed, nothing replaced

  // A user edit, then a run that changes the primary: the old file becomes a timestamped backup,
  // and the change is printed as key: old -> new.
  std::ofstream(path, std::ios::app) << "// my note\n";
  const auto edited = slurp(path);
  child_process third(MRB_BRIDGE_BIN, {"configure", "--model", "ai/qwen2.5:7B-Q4_K_M"}, bridge_env());
  ASSERT_EQ(third.wait_exit(30s), 0) << third.text(child_process::stream::err);
  EXPECT_NE(third.text(child_process::stream::out)
                .find("  agents.defaults.model.primary: \"docker-model-runner/ai/smollm2:latest\" -> "
                      "\"docker-model-runner/ai/qwen2.5:7B-Q4_K_M\"\n"),
            std::string::npos)
      << third.text(child_process::stream::out);
  auto backups = config_file::backups(path);
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(slurp(backups[0]), edited);
  EXPECT_NE(backups[0].filename().string().find("openclaw.json.bak-"), std::string::npos);
  // Many more changes: the oldest backup (the user's own file) is never overwritten nor pruned.
  for (int i = 0; i < static_cast<int>(config_file::backups_kept) + 2; ++i) {
    std::ofstream(path, std::ios::app) << "// edit " << i << "\n";
    child_process again(MRB_BRIDGE_BIN, {"configure", "--model", i % 2 ? "smollm2" : "ai/qwen2.5:7B-Q4_K_M"},
                        bridge_env());
    ASSERT_EQ(again.wait_exit(30s), 0) << again.text(child_process::stream::err);
  }
  backups = config_file::backups(path);
  EXPECT_EQ(backups.size(), config_file::backups_kept + 1);
  EXPECT_EQ(slurp(backups.front()), edited);
  EXPECT_NE(slurp(path).find("// my note\n"), std::string::npos);
  EXPECT_NE(slurp(path).find("docker-model-runner/ai/qwen2.5:7B-Q4_K_M"), std::string::npos);
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(setup_e2e, configure_dry_run_prints_a_diff_and_writes_nothing) {
  const auto path = dir_.path() / "home" / ".openclaw" / "openclaw.json";
  child_process p(MRB_BRIDGE_BIN, {"configure", "--dry-run"}, bridge_env());
  ASSERT_EQ(p.wait_exit(30s), 1) << p.text(child_process::stream::err);  // diff's convention: 1 = would change
  const auto out = p.text(child_process::stream::out);
  EXPECT_NE(out.find("--- /dev/null\n+++ " + path.string() + "\n@@ -0,0 +1,"), std::string::npos) << out;
  EXPECT_NE(out.find("  models.mode: (unset) -> \"merge\"\n"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(path));
  child_process write(MRB_BRIDGE_BIN, {"configure"}, bridge_env());
  ASSERT_EQ(write.wait_exit(30s), 0) << write.text(child_process::stream::err);
  child_process again(MRB_BRIDGE_BIN, {"configure", "--dry-run"}, bridge_env());
  EXPECT_EQ(again.wait_exit(30s), 0) << again.text(child_process::stream::out);  // nothing would change
}

TEST_F(setup_e2e, configure_keeps_the_users_primary_and_gateway_unless_asked) {
  const auto path = dir_.path() / "home" / ".openclaw" / "openclaw.json";
  std::filesystem::create_directories(path.parent_path());
  const std::string mine = slurp(std::filesystem::path(MRB_SETUP_GOLDEN_DIR) / "existing.input.json5");
  std::ofstream(path) << mine;
  child_process plain(MRB_BRIDGE_BIN, {"configure"}, bridge_env());
  ASSERT_EQ(plain.wait_exit(30s), 0) << plain.text(child_process::stream::err);
  json5_error error;
  auto value = json5_document::parse(slurp(path), error)->to_json();
  EXPECT_EQ(value["gateway"]["mode"], "remote");
  EXPECT_EQ(value["agents"]["defaults"]["model"]["primary"], "anthropic/claude-sonnet-4");
  EXPECT_NE(plain.text(child_process::stream::out).find("agents.defaults.model.primary stays anthropic/claude-sonnet-4"),
            std::string::npos)
      << plain.text(child_process::stream::out);
  child_process asked(MRB_BRIDGE_BIN, {"configure", "--set-primary", "--gateway-local"}, bridge_env());
  ASSERT_EQ(asked.wait_exit(30s), 0) << asked.text(child_process::stream::err);
  EXPECT_NE(asked.text(child_process::stream::out).find("  gateway.mode: \"remote\" -> \"local\"\n"), std::string::npos)
      << asked.text(child_process::stream::out);
  value = json5_document::parse(slurp(path), error)->to_json();
  EXPECT_EQ(value["gateway"]["mode"], "local");
  EXPECT_EQ(value["agents"]["defaults"]["model"]["primary"].get<std::string>().rfind("docker-model-runner/", 0), 0u);
}

TEST_F(setup_e2e, configure_broken_file_is_reported_and_left_untouched) {
  const auto path = dir_.path() / "home" / ".openclaw" / "openclaw.json";
  std::filesystem::create_directories(path.parent_path());
  const std::string broken = slurp(std::filesystem::path(MRB_SETUP_GOLDEN_DIR) / "broken.input.json5");
  std::ofstream(path) << broken;
  child_process p(MRB_BRIDGE_BIN, {"configure"}, bridge_env());
  ASSERT_EQ(p.wait_exit(30s), 5);
  EXPECT_NE(p.text(child_process::stream::err).find(path.string() + ":4:3: "), std::string::npos)
      << p.text(child_process::stream::err);
  EXPECT_EQ(slurp(path), broken);
  EXPECT_TRUE(config_file::backups(path).empty());
}

TEST_F(setup_e2e, configure_unknown_model_and_unreachable_runner) {
  child_process unknown(MRB_BRIDGE_BIN, {"configure", "--model", "ai/nope"}, bridge_env());
  ASSERT_EQ(unknown.wait_exit(30s), 4);
  EXPECT_NE(unknown.text(child_process::stream::err).find("docker model pull ai/nope"), std::string::npos);
  runner_.stop();
  child_process refused(MRB_BRIDGE_BIN, {"configure"}, bridge_env());
  ASSERT_EQ(refused.wait_exit(30s), 4);
  EXPECT_NE(refused.text(child_process::stream::err).find("docker desktop enable model-runner --tcp"), std::string::npos)
      << refused.text(child_process::stream::err);
}

// Fake OpenClaw reads what configure wrote and gets a reply through bridge, proxy and runner.
TEST_F(setup_e2e, configured_file_drives_fake_openclaw_through_the_chain) {
  auto env = bridge_env();
  set_env(env, "OPENCLAW_CONFIG_PATH", (dir_.path() / "openclaw.json").string());
  set_env(env, "MRB_LISTEN", "127.0.0.1:0");
  child_process bridge(MRB_BRIDGE_BIN, {"serve"}, env);
  const auto ready = bridge.wait_for_line(child_process::stream::out,
                                          std::regex("^model-runner-bridge listening on (.+)$"), 20s);
  ASSERT_TRUE(ready) << bridge.text(child_process::stream::err);
  child_process configure(MRB_BRIDGE_BIN, {"configure", "--listen", (*ready)[1]}, env);
  ASSERT_EQ(configure.wait_exit(30s), 0) << configure.text(child_process::stream::err);
  child_process claw(MRB_FAKE_OPENCLAW_BIN, {"--json", "--message", "Say hi"}, env);
  ASSERT_EQ(claw.wait_exit(60s), 0) << claw.text(child_process::stream::out) << claw.text(child_process::stream::err);
  const auto turn = nlohmann::json::parse(claw.text(child_process::stream::out));
  EXPECT_EQ(turn["error"], "none");
  EXPECT_FALSE(turn["text"].get<std::string>().empty());
  bridge.signal(SIGTERM);
  EXPECT_EQ(bridge.wait_exit(30s), 0);
}

// --- start-openclaw --------------------------------------------------------------------------

class start_openclaw : public setup_e2e {
protected:
  void SetUp() override {
    setup_e2e::SetUp();
    bin_ = dir_.path() / "bin";
    record_ = dir_.path() / "record";
    std::filesystem::create_directories(bin_);
    std::filesystem::create_directories(record_);
    // The stand-in records its arguments and environment; `gateway` stays up until stopped,
    // `tui` is one turn of the fake OpenClaw client against the config it finds.
    std::ofstream(bin_ / "openclaw") << "#!/usr/bin/env bash\n"
                                        "printf '%s\\n' \"$@\" > \"$OPENCLAW_RECORD_DIR/$1.args\"\n"
                                        "env | sort > \"$OPENCLAW_RECORD_DIR/$1.env\"\n"
                                        "case \"$1\" in\n"
                                        "  gateway) exec sleep 60 ;;\n"
                                        "  tui) if [ -n \"${WRITE_JOURNAL:-}\" ]; then printf '%s' \"$JOURNAL_TEXT\" > \"$WRITE_JOURNAL\"; fi\n"
                                        "       exec \"$FAKE_OPENCLAW\" --json --message hi > \"$OPENCLAW_RECORD_DIR/tui.json\" ;;\n"
                                        "esac\n";
    std::filesystem::permissions(bin_ / "openclaw", std::filesystem::perms::owner_all);
  }

  std::vector<env_change> script_env() const {
    auto env = bridge_env();
    set_env(env, "MRB_LISTEN", "127.0.0.1:0");
    env.push_back({"PATH", bin_.string() + ":" + std::getenv("PATH")});
    env.push_back({"MRB_BRIDGE_BIN", MRB_BRIDGE_BIN});
    env.push_back({"FAKE_OPENCLAW", MRB_FAKE_OPENCLAW_BIN});
    env.push_back({"OPENCLAW_RECORD_DIR", record_.string()});
    env.push_back({"HTTPS_PROXY", "http://127.0.0.1:" + std::to_string(proxy_->port())});
    env.push_back({"NO_PROXY", "localhost,127.0.0.1"});
    env.push_back({"no_proxy", "localhost"});
    env.push_back({"XDG_STATE_HOME", (dir_.path() / "state").string()});
    return env;
  }

  std::filesystem::path bin_;
  std::filesystem::path record_;
};

TEST_F(start_openclaw, runs_gateway_and_tui_without_proxy_variables_and_stops_the_bridge) {
  child_process p("bash", {MRB_START_OPENCLAW, "ai/qwen2.5:7B-Q4_K_M"}, script_env());
  ASSERT_EQ(p.wait_exit(60s), 0) << p.text(child_process::stream::err);
  EXPECT_EQ(slurp(record_ / "gateway.args"), "gateway\n");
  EXPECT_EQ(slurp(record_ / "tui.args"), "tui\n");
  for (const char* who : {"gateway.env", "tui.env"}) {
    const auto env = slurp(record_ / who);
    for (const char* var : {"HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=", "NO_PROXY=", "no_proxy="}) {
      EXPECT_EQ(env.find(std::string("\n") + var), std::string::npos) << who << " has " << var;
      EXPECT_NE(env.rfind(var, 0), 0u) << who << " has " << var;
    }
  }
  const auto turn = nlohmann::json::parse(slurp(record_ / "tui.json"));
  EXPECT_EQ(turn["error"], "none") << turn.dump();
  EXPECT_EQ(turn["exit_code"], 0);

  json5_error error;
  const auto config = json5_document::parse(slurp(dir_.path() / "home" / ".openclaw" / "openclaw.json"), error)->to_json();
  EXPECT_EQ(config["agents"]["defaults"]["model"]["primary"], "docker-model-runner/ai/qwen2.5:7B-Q4_K_M");
  // The bridge is gone: its port refuses connections.
  const std::string base_url = config["models"]["providers"]["docker-model-runner"]["baseUrl"];
  const std::smatch m = [&] {
    std::smatch r;
    std::regex_search(base_url, r, std::regex(":(\\d+)/"));
    return r;
  }();
  ASSERT_EQ(m.size(), 2u);
  bridge_config probe;
  probe.direct = true;
  probe.target_host = "127.0.0.1";
  probe.target_port = static_cast<std::uint16_t>(std::stoi(m[1]));
  hop_failure failure;
  EXPECT_FALSE(chain_client{probe}.connect_only(failure));
  EXPECT_EQ(failure.problem, hop_problem::proxy_refused);
  EXPECT_NE(p.text(child_process::stream::err).find("bridge stopped"), std::string::npos);
}

TEST_F(start_openclaw, unknown_flag_is_a_usage_error_and_help_is_real) {
  child_process bogus("bash", {MRB_START_OPENCLAW, "--bogus"}, script_env());
  ASSERT_EQ(bogus.wait_exit(30s), 2);
  EXPECT_EQ(bogus.lines(child_process::stream::err),
            std::vector<std::string>{"start-openclaw: unknown option --bogus (start-openclaw --help)"});
  EXPECT_FALSE(std::filesystem::exists(record_ / "gateway.args"));
  child_process help("bash", {MRB_START_OPENCLAW, "--help"}, script_env());
  ASSERT_EQ(help.wait_exit(30s), 0);
  EXPECT_NE(help.text(child_process::stream::out).find("Usage: start-openclaw"), std::string::npos);
  EXPECT_NE(help.text(child_process::stream::out).find("Exit codes:"), std::string::npos);
}

TEST_F(start_openclaw, missing_openclaw_is_found_before_anything_changes) {
  auto env = script_env();
  env.push_back({"OPENCLAW_BIN", (dir_.path() / "no-such-openclaw").string()});
  child_process p("bash", {MRB_START_OPENCLAW}, env);
  ASSERT_EQ(p.wait_exit(30s), 1);
  EXPECT_NE(p.text(child_process::stream::err).find("openclaw not found"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "home" / ".openclaw" / "openclaw.json"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "state" / "model-runner-bridge"));
}

TEST_F(start_openclaw, reuses_a_running_bridge_and_summarizes_the_sessions_failures) {
  const std::string listen = "127.0.0.1:" + std::to_string(config_.listen_port);
  child_process bridge(MRB_BRIDGE_BIN, {}, bridge_env());
  ASSERT_TRUE(bridge.expect_line(child_process::stream::out, std::regex("listening on"), 30s));
  auto env = script_env();
  set_env(env, "MRB_LISTEN", listen);
  const auto journal = dir_.path() / "state" / "model-runner-bridge" /
                       ("last-failures-" + std::to_string(config_.listen_port) + ".json");
  env.push_back({"WRITE_JOURNAL", journal.string()});
  env.push_back({"JOURNAL_TEXT", R"({"proxy": {"time": "2026-11-28T10:00:00Z", "status": 451, "kind": "proxy_policy_denied", )"
                                 R"("message": "denied", "fix": "docker sandbox network proxy x --allow-host localhost:12434"}})"});
  child_process p("bash", {MRB_START_OPENCLAW}, env);
  ASSERT_EQ(p.wait_exit(60s), 0) << p.text(child_process::stream::err);
  const auto err = p.text(child_process::stream::err);
  EXPECT_NE(err.find("reusing the model-runner-bridge on " + listen), std::string::npos) << err;
  EXPECT_NE(err.find("start-openclaw: this session had failures (proxy); last fix: docker sandbox network proxy x "
                     "--allow-host localhost:12434\n"),
            std::string::npos)
      << err;
  // The bridge it did not start keeps running.
  EXPECT_FALSE(bridge.exit_status().has_value());
  bridge_config probe;
  probe.direct = true;
  probe.target_host = "127.0.0.1";
  probe.target_port = config_.listen_port;
  hop_failure failure;
  EXPECT_TRUE(chain_client{probe}.connect_only(failure));
}

TEST_F(start_openclaw, list_shows_the_models) {
  child_process p("bash", {MRB_START_OPENCLAW, "list"}, script_env());
  ASSERT_EQ(p.wait_exit(30s), 0) << p.text(child_process::stream::err);
  EXPECT_NE(p.text(child_process::stream::out).find("ai/smollm2:latest"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(record_ / "tui.args"));
}

TEST_F(start_openclaw, failing_step_prints_the_doctor_diagnosis) {
  proxy_->stop();
  proxy_ = std::make_unique<fakes::sandbox_proxy::fake_sandbox_proxy>(allowing_proxy(false));
  proxy_->start();
  use_runner_port(runner_.port());
  auto env = script_env();
  env.push_back({"MRB_READY_TIMEOUT", "2"});
  child_process p("bash", {MRB_START_OPENCLAW}, env);
  const auto rc = p.wait_exit(60s);
  ASSERT_TRUE(rc.has_value());
  EXPECT_NE(*rc, 0);
  const auto err = p.text(child_process::stream::err);
  // The bridge's /readyz says the proxy denies the Model Runner: OpenClaw is not started blind.
  EXPECT_NE(err.find("waiting for the chain to be ready"), std::string::npos) << err;
  EXPECT_NE(err.find("the chain is not ready after 2s"), std::string::npos) << err;
  EXPECT_NE(err.find("docker sandbox network proxy <sandbox> --allow-host localhost"), std::string::npos) << err;
  EXPECT_NE(err.find("FAIL  proxy allows the target"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(record_ / "tui.args"));
  EXPECT_NE(err.find("bridge stopped"), std::string::npos) << err;
}

}  // namespace
}  // namespace mrb::setup
