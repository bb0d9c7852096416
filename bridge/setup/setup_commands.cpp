#include "bridge/setup/setup_commands.hpp"

#include <CLI/CLI.hpp>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <unistd.h>
#include <iostream>
#include <memory>

#include "bridge/core/bridge_config.hpp"
#include "bridge/setup/chain_client.hpp"
#include "bridge/setup/config_file.hpp"
#include "bridge/setup/doctor.hpp"
#include "bridge/setup/json5_document.hpp"
#include "cli_kit.hpp"
#include "bridge/setup/line_diff.hpp"
#include "bridge/setup/model_catalog.hpp"
#include "bridge/setup/openclaw_config.hpp"

namespace mrb::setup {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_internal = 1;
constexpr int exit_usage = 2;
constexpr int exit_hop_failed = 4;
constexpr int exit_config = 5;
constexpr int exit_doctor = 6;

// On a terminal, one self-erasing line "waiting for X (Ns)" while a slow answer is awaited; off a
// terminal (pipes, tests) nothing, so output stays line-oriented.
class wait_indicator {
public:
  wait_indicator() : enabled_(::isatty(STDOUT_FILENO) == 1) {
    if (enabled_) ticker_ = std::thread([this] { tick(); });
  }
  ~wait_indicator() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    clear();
  }
  void waiting_for(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    what_ = what;
    since_ = std::chrono::steady_clock::now();
  }
  // Erases the line before normal output is printed.
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shown_) std::cout << "\r\033[K" << std::flush;
    shown_ = false;
    what_.clear();
  }

private:
  void tick() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      if (what_.empty()) continue;
      const auto s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - since_);
      if (s.count() < 1) continue;
      std::cout << "\r\033[K      waiting for " << what_ << " (" << s.count() << "s)" << std::flush;
      shown_ = true;
    }
  }
  bool enabled_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool shown_ = false;
  std::string what_;
  std::chrono::steady_clock::time_point since_;
  std::thread ticker_;
};

struct setup_options {
  bool json = false;
  std::string model;
  std::string config_path;
  bool dry_run = false;
  bool set_primary = false;
  bool gateway_local = false;
  bool deep = false;
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds completion_timeout{300'000};
  std::string global_flags;  ///< the global flags the user gave, for fixes that must work when pasted
};


void report(const hop_failure& f) {
  std::fprintf(stderr, "model-runner-bridge: %s\n  fix: %s\n  (model-runner-bridge doctor checks every hop)\n",
               f.message.c_str(), f.fix.c_str());
}

// GET /engines/v1/models (ids as inference accepts them) and GET /models (metadata).
std::optional<std::vector<model_info>> discover(const chain_client& client, std::chrono::milliseconds timeout,
                                                hop_failure& failure) {
  auto list = client.fetch("GET", "/engines/v1/models", "", timeout, failure);
  if (!list) return std::nullopt;
  std::vector<model_info> openai;
  try {
    openai = model_catalog::from_openai(nlohmann::json::parse(list->body));
  } catch (const nlohmann::json::exception& e) {
    failure = client.describe(hop_problem::bad_answer, std::string("GET /engines/v1/models: ") + e.what());
    return std::nullopt;
  }
  std::vector<model_info> native;
  hop_failure ignored;
  if (auto raw = client.fetch("GET", "/models", "", timeout, ignored)) {
    try {
      native = model_catalog::from_native(nlohmann::json::parse(raw->body));
    } catch (const nlohmann::json::exception&) {
      // Metadata is a bonus; the OpenAI list alone is enough.
    }
  }
  return model_catalog::combine(openai, native);
}

std::filesystem::path openclaw_path(const setup_options& o) {
  return o.config_path.empty() ? config_file::default_path() : std::filesystem::path(o.config_path);
}

int run_models(const bridge_config& config, const setup_options& o) {
  chain_client client{config};
  hop_failure failure;
  std::optional<std::vector<model_info>> models;
  {
    wait_indicator indicator;
    indicator.waiting_for("the Model Runner's model list via " + config.next_hop_authority());
    models = discover(client, o.timeout, failure);
  }
  if (!models) {
    report(failure);
    return exit_hop_failed;
  }
  if (o.json) {
    std::cout << model_catalog::to_json(*models).dump(2) << "\n";
  } else if (models->empty()) {
    std::cout << "The Model Runner has no models. Pull one on the host: docker model pull ai/smollm2\n";
  } else {
    std::cout << model_catalog::to_table(*models);
  }
  return exit_ok;
}

int run_configure(const bridge_config& config, const setup_options& o) {
  if (config.listen_port == 0) {
    std::fprintf(stderr, "model-runner-bridge: configure needs the bridge's real port; --listen port 0 is not one\n");
    return exit_usage;
  }
  const auto path = openclaw_path(o);
  std::error_code ec;
  const auto existing = config_file::read(path, ec);
  if (ec) {
    std::fprintf(stderr, "model-runner-bridge: cannot read %s: %s\n", path.c_str(), ec.message().c_str());
    return exit_config;
  }
  // A broken file is reported before anything else and never touched.
  json5_error error;
  const std::string before = existing.value_or("");
  if (!openclaw_config::merge(before, {}, error)) {
    std::fprintf(stderr, "model-runner-bridge: %s:%s\n  the file was left untouched; fix it and run configure again\n",
                 path.c_str(), error.to_string().c_str());
    return exit_config;
  }

  chain_client client{config};
  hop_failure failure;
  const auto models = discover(client, o.timeout, failure);
  if (!models) {
    report(failure);
    return exit_hop_failed;
  }
  if (models->empty()) {
    std::fprintf(stderr, "model-runner-bridge: the Model Runner has no models\n  fix: docker model pull ai/smollm2   (on the host)\n");
    return exit_hop_failed;
  }
  openclaw_settings settings;
  settings.base_url = openclaw_config::base_url(bridge_config::bracket(config.listen_host) + ":" +
                                                std::to_string(config.listen_port));
  settings.models = *models;
  settings.set_primary = o.set_primary || !o.model.empty();  // naming a model asks for it
  settings.gateway_local = o.gateway_local;
  if (o.model.empty()) {
    settings.primary = models->front().id;
  } else if (const auto* m = model_catalog::find(*models, o.model)) {
    settings.primary = m->id;
  } else {
    std::string names;
    for (const auto& m : *models) names += (names.empty() ? "" : ", ") + m.id;
    std::fprintf(stderr, "model-runner-bridge: model %s is not in the Model Runner (it has: %s)\n  fix: docker model pull %s   (on the host)\n",
                 o.model.c_str(), names.c_str(), o.model.c_str());
    return exit_hop_failed;
  }
  const auto after = openclaw_config::merge(before, settings, error);
  if (!after) {
    std::fprintf(stderr, "model-runner-bridge: %s:%s\n", path.c_str(), error.to_string().c_str());
    return exit_config;
  }
  json5_error ignored;
  const auto before_doc = json5_document::parse(existing.value_or("{}"), ignored);
  const auto after_doc = json5_document::parse(*after, ignored);
  const auto changes = before_doc && after_doc ? openclaw_config::changes(before_doc->to_json(), after_doc->to_json())
                                               : std::vector<std::string>{};
  const bool changed = !existing || *after != *existing;
  if (!changed) {
    std::cout << path.string() << " is up to date (baseUrl " << settings.base_url << ")\n";
    return exit_ok;
  }
  for (const auto& c : changes) std::cout << "  " << c << "\n";
  if (!settings.set_primary) {
    // Say what was left alone on purpose, and the flag that would change it.
    const auto value = after_doc ? after_doc->to_json() : nlohmann::json();
    const auto ptr = nlohmann::json::json_pointer("/agents/defaults/model");
    std::string primary;
    if (value.contains(ptr) && value.at(ptr).is_string()) primary = value.at(ptr).get<std::string>();
    if (value.contains(ptr) && value.at(ptr).is_object()) primary = value.at(ptr).value("primary", std::string());
    if (primary.rfind(std::string(openclaw_config::provider_id) + "/", 0) != 0)
      std::cout << "  agents.defaults.model.primary stays " << primary << " (--set-primary makes it "
                << openclaw_config::provider_id << "/" << settings.primary << ")\n";
  }
  if (o.dry_run) {
    const auto diff = line_diff::unified(before, *after, existing ? path.string() : "/dev/null", path.string());
    std::cout << diff << "dry run: " << path.string() << " not written\n";
    return 1;  // diff's convention: 1 = something would change
  }
  const auto backup = config_file::write(path, *after, ec);
  if (ec) {
    std::fprintf(stderr, "model-runner-bridge: cannot write %s: %s\n", path.c_str(), ec.message().c_str());
    return exit_config;
  }
  std::cout << "wrote " << path.string() << (backup ? " (previous version: " + backup->string() + ")" : "") << ": "
            << changes.size() << (changes.size() == 1 ? " change" : " changes") << "\n";
  return exit_ok;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@%+=,-") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The global flags on the command line (or from MRB_* variables), as " --flag value ...".
std::string given_global_flags(const CLI::App& app) {
  std::string out;
  for (const auto* opt : app.get_options()) {
    if (!opt->nonpositional() || opt->get_group().empty() || opt->count() == 0 || opt->get_lnames().empty()) continue;
    const auto& name = opt->get_lnames().front();
    if (name == "help" || name == "version") continue;
    if (opt->get_items_expected_max() == 0) {
      out += " --" + name;
      continue;
    }
    for (const auto& v : opt->results()) out += " --" + name + " " + shell_quote(v);
  }
  return out;
}

// The bridge's journal of the last failure per hop (written by the running bridge).
std::filesystem::path journal_path(std::uint16_t port) {
  const char* state = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  const std::filesystem::path base = state != nullptr && *state != '\0' ? std::filesystem::path(state)
                                     : std::filesystem::path(home != nullptr ? home : ".") / ".local" / "state";
  return base / "model-runner-bridge" / ("last-failures-" + std::to_string(port) + ".json");
}

// "last failures on port P:" then one line per hop with its fix; "" when there is no journal.
std::string journal_text(std::uint16_t port) {
  std::error_code ec;
  const auto text = config_file::read(journal_path(port), ec);
  if (!text) return {};
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || j.empty()) return {};
  std::string out = "last failure per hop, from the bridge on port " + std::to_string(port) + " (" +
                    journal_path(port).string() + "):\n";
  for (const auto& [hop, f] : j.items()) {
    if (!f.is_object()) continue;
    out += "  " + hop + "  " + f.value("time", std::string()) + "  " + std::to_string(f.value("status", 0)) + " " +
           f.value("kind", std::string()) + ": " + f.value("message", std::string()) + "\n";
    if (!f.value("fix", std::string()).empty()) out += "      fix: " + f.value("fix", std::string()) + "\n";
  }
  return out;
}

int run_doctor(const bridge_config& config, const setup_options& o) {
  doctor_options options;
  options.openclaw_config = openclaw_path(o);
  options.model = o.model;
  options.request_timeout = o.timeout;
  options.completion_timeout = o.completion_timeout;
  options.deep = o.deep;
  options.fix_flags = o.global_flags;
  if (!o.config_path.empty()) options.config_flag = " --config " + shell_quote(o.config_path);
  wait_indicator indicator;
  if (!o.json) {
    options.on_check = [&indicator](const doctor_check& c) {
      indicator.clear();
      std::cout << doctor::to_text(c, 28) << std::flush;
    };
    options.on_wait = [&indicator](const std::string& what) { indicator.waiting_for(what); };
  }
  const doctor d{config, options};
  const auto checks = d.run();
  const auto journal = journal_text(config.listen_port);
  if (o.json) {
    auto report = doctor::to_json(checks);
    std::error_code jec;
    const auto raw = config_file::read(journal_path(config.listen_port), jec);
    const auto j = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
    if (j.is_object()) report["last_failures"] = j;
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << (doctor::all_passed(checks) ? "all checks passed\n" : "some checks failed\n") << journal;
  }
  return doctor::all_passed(checks) ? exit_ok : exit_doctor;
}

// Runs a command, turning an unexpected exception into exit code 1 with a message.
void guarded(int& exit_code, const std::function<int()>& body) {
  try {
    exit_code = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "model-runner-bridge: internal error: %s\n", e.what());
    exit_code = exit_internal;
  }
}

}  // namespace

void add_setup_commands(CLI::App& app, const mrb::bridge_config& config, int& exit_code) {
  // Owned by the callbacks, which live as long as the App.
  auto o = std::make_shared<setup_options>();

  auto* models = app.add_subcommand("models", "List the Model Runner's models, asked through the proxy path");
  models->add_flag("--json", o->json, "JSON instead of a table");
  mrb::cli_kit::add_duration(*models, "--timeout", o->timeout, "Wait for each answer (a bare number is seconds)");
  models->callback([&config, &exit_code, o] { guarded(exit_code, [&] { return run_models(config, *o); }); });

  auto* configure = app.add_subcommand("configure", "Merge the Docker Model Runner provider into OpenClaw's openclaw.json");
  configure->add_option("--model", o->model, "Primary model (default: the first one the Model Runner lists)");
  configure->add_option("--config", o->config_path,
                        "openclaw.json to edit [default: $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR/openclaw.json, "
                        "~/.openclaw/openclaw.json]");
  configure->add_flag("--dry-run", o->dry_run,
                      "Print the changes and a unified diff; write nothing; exit 0 if nothing would change, 1 if "
                      "something would");
  configure->add_flag("--set-primary", o->set_primary,
                      "Also make the Model Runner model OpenClaw's primary model when another one is set");
  configure->add_flag("--gateway-local", o->gateway_local, "Also set gateway.mode to \"local\"");
  mrb::cli_kit::add_duration(*configure, "--timeout", o->timeout, "Wait for each answer (a bare number is seconds)");
  configure->callback([&config, &exit_code, o] { guarded(exit_code, [&] { return run_configure(config, *o); }); });

  auto* doctor_cmd = app.add_subcommand("doctor", "Check every hop of the chain and say how to fix what is wrong");
  doctor_cmd->add_flag("--json", o->json, "JSON instead of text");
  doctor_cmd->add_option("--model", o->model, "Model for the completion check (default: the configured one)");
  doctor_cmd->add_option("--config", o->config_path, "openclaw.json to check (same default as configure)");
  doctor_cmd->add_flag("--deep", o->deep, "Also send one tiny completion through the running bridge");
  mrb::cli_kit::add_duration(*doctor_cmd, "--timeout", o->timeout,
                             "Wait for each metadata answer (a bare number is seconds)");
  mrb::cli_kit::add_duration(*doctor_cmd, "--completion-timeout", o->completion_timeout,
                             "Wait for the one-token completion (a first request loads the model)");
  doctor_cmd->callback([&app, &config, &exit_code, o] {
    o->global_flags = given_global_flags(app);
    guarded(exit_code, [&] { return run_doctor(config, *o); });
  });
}

}  // namespace mrb::setup
