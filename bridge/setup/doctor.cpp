#include "bridge/setup/doctor.hpp"

#include <cstdio>

#include "bridge/core/bridge_config.hpp"
#include "bridge/core/proxy_url.hpp"
#include "bridge/setup/chain_client.hpp"
#include "bridge/setup/config_file.hpp"
#include "bridge/setup/json5_document.hpp"
#include "bridge/setup/model_catalog.hpp"
#include "bridge/setup/openclaw_config.hpp"

namespace mrb::setup {
namespace {

using status = doctor_check::status;

doctor_check ok(std::string name, std::string detail) { return {std::move(name), status::ok, std::move(detail), {}, {}}; }

doctor_check fail(std::string name, const hop_failure& f) { return {std::move(name), status::fail, f.message, f.fix, {}}; }

doctor_check fail(std::string name, std::string detail, std::string fix) {
  return {std::move(name), status::fail, std::move(detail), std::move(fix), {}};
}

doctor_check skip(std::string name, std::string why) { return {std::move(name), status::skip, std::move(why), {}, {}}; }

double ms(std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; }

std::string format_ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", v);
  return buf;
}

}  // namespace

doctor::doctor(const bridge_config& config, doctor_options options) : config_(config), options_(std::move(options)) {
  if (!options_.env) options_.env = process_env();
}

doctor_check doctor::check_proxy_variables() const {
  const std::string name = "proxy variables";
  if (!config_.via_proxy()) return ok(name, "not needed: --direct connects straight to " + config_.target_authority());
  for (const char* var : {"HTTP_PROXY", "http_proxy"}) {
    const auto value = options_.env(var);
    if (value && !value->empty()) return ok(name, std::string(var) + " is set; using " + config_.proxy->display);
  }
  if (config_.proxy->display != std::string(default_proxy_url_value) &&
      config_.proxy->display != std::string(default_proxy_url_value) + "/") {
    return ok(name, "no HTTP_PROXY, using --proxy " + config_.proxy->display);
  }
  return fail(name, "neither HTTP_PROXY nor http_proxy is set (a Docker sandbox sets them); assuming " +
                        std::string(default_proxy_url_value),
              "run this inside the Docker sandbox, or pass --proxy http://<proxy host>:<port>");
}

void doctor::waiting(const std::string& what) const {
  if (options_.on_wait) options_.on_wait(what);
}

std::string doctor::command(const std::string& subcommand) const {
  return "model-runner-bridge" + (subcommand.empty() ? "" : " " + subcommand) + options_.fix_flags;
}

void doctor::check_running_bridge(std::vector<doctor_check>& checks, const std::string& model,
                                  const std::function<void()>& flush) const {
  const std::string name = "bridge running";
  const std::string through = "models through the bridge";
  const std::string listen = bridge_config::bracket(config_.listen_host) + ":" + std::to_string(config_.listen_port);
  if (config_.listen_port == 0) {
    checks.push_back(fail(name, "--listen port 0 is not a port OpenClaw can be pointed at", "pass --listen 127.0.0.1:54321"));
    return;
  }
  bridge_config probe = config_;
  probe.direct = true;
  probe.proxy.reset();
  probe.target_host = config_.listen_host;
  probe.target_port = config_.listen_port;
  chain_client client{probe};
  hop_failure failure;
  waiting("a connection to the bridge on " + listen);
  if (!client.connect_only(failure)) {
    if (failure.problem == hop_problem::proxy_refused) {
      checks.push_back(fail(name,
                            "nothing listens on " + listen +
                                ": OpenClaw would get \"connection refused\"; start the bridge and leave it running "
                                "(start-openclaw also starts it)",
                            command("")));
    } else {
      checks.push_back(fail(name, "cannot probe " + listen + ": " + failure.message, "check --listen"));
    }
    checks.push_back(skip(through, "no bridge"));
    return;
  }
  waiting("the model list through the bridge");
  auto response = client.request("GET", "/engines/v1/models", "", options_.request_timeout, failure);
  const auto* via = response ? response->header("Via") : nullptr;
  const bool ours = response && ((via != nullptr && via->find("model-runner-bridge") != std::string::npos) ||
                                 response->body.find("model-runner-bridge") != std::string::npos);
  if (!ours) {
    checks.push_back(fail(name, listen + " is taken by another program, not model-runner-bridge",
                          "stop that program, or pick another port: " + command("") + " --listen 127.0.0.1:<free port>, "
                          "then model-runner-bridge configure with the same --listen"));
    checks.push_back(skip(through, "no bridge"));
    return;
  }
  checks.push_back(ok(name, "model-runner-bridge answers on " + listen));
  flush();
  const auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status / 100 != 2) {
    // The bridge's own JSON error names the broken hop and its fix.
    std::string message = "HTTP " + std::to_string(response->status);
    std::string fix = "model-runner-bridge doctor checks each hop above";
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
      message += ": " + body["error"].value("message", std::string());
      if (body["error"].contains("fix") && body["error"]["fix"].is_string()) fix = body["error"]["fix"];
    }
    if (body.is_object() && body.contains("fix") && body["fix"].is_string()) fix = body["fix"];
    checks.push_back(fail(through, "GET /engines/v1/models through the bridge: " + message, fix));
    return;
  }
  if (!body.is_object() || !body.contains("data") || !body["data"].is_array()) {
    checks.push_back(fail(through, "the bridge's answer to GET /engines/v1/models is not a model list",
                          "model-runner-bridge --target must name the Model Runner (localhost:12434)"));
    return;
  }
  auto c = ok(through, std::to_string(body["data"].size()) + " models via " + listen);
  c.latency_ms = ms(response->elapsed);
  checks.push_back(c);
  if (!options_.deep || model.empty()) return;
  flush();
  const nlohmann::json ask = {{"model", model},
                              {"messages", {{{"role", "user"}, {"content", "Reply with OK."}}}},
                              {"max_tokens", 1},
                              {"stream", false}};
  const std::string deep = "completion through the bridge";
  waiting("a one-token completion from " + model + " through the bridge (a first request loads the model)");
  auto answer = client.request("POST", "/engines/llama.cpp/v1/chat/completions", ask.dump(), options_.completion_timeout,
                               failure);
  if (!answer) {
    checks.push_back(fail(deep, model + ": " + failure.message, "raise --completion-timeout (a first request loads the model)"));
  } else if (answer->status / 100 != 2) {
    const auto err = nlohmann::json::parse(answer->body, nullptr, false);
    std::string message = "HTTP " + std::to_string(answer->status);
    std::string fix = "see the failure above";
    if (err.is_object() && err.contains("error") && err["error"].is_object()) {
      message += ": " + err["error"].value("message", std::string());
      if (err["error"].contains("fix") && err["error"]["fix"].is_string()) fix = err["error"]["fix"];
    }
    checks.push_back(fail(deep, model + ": " + message, fix));
  } else {
    auto d = ok(deep, model + " answered through the bridge in " + format_ms(ms(answer->elapsed)));
    d.latency_ms = ms(answer->elapsed);
    checks.push_back(d);
  }
}

doctor_check doctor::check_openclaw_config() const {
  const std::string name = "openclaw.json";
  const auto& path = options_.openclaw_config;
  std::string configure = command("configure") + options_.config_flag;
  std::error_code ec;
  const auto text = config_file::read(path, ec);
  if (ec) return fail(name, "cannot read " + path.string() + ": " + ec.message(), "check the file's permissions");
  if (!text) return fail(name, path.string() + " does not exist", configure);
  json5_error error;
  const auto doc = json5_document::parse(*text, error);
  if (!doc) {
    return fail(name, path.string() + ":" + error.to_string(),
                "fix the file at line " + std::to_string(error.line) + ", column " + std::to_string(error.column) +
                    " (OpenClaw refuses it as it is)");
  }
  const std::string listen = bridge_config::bracket(config_.listen_host) + ":" + std::to_string(config_.listen_port);
  const auto problems = openclaw_config::check(doc->to_json(), openclaw_config::base_url(listen));
  if (problems.empty()) return ok(name, path.string() + " points at the bridge (" + openclaw_config::base_url(listen) + ")");
  std::string detail = path.string() + ": ";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    detail += (i ? "; " : "") + problems[i];
    // configure leaves these alone unless asked.
    if (problems[i].find("primary") != std::string::npos) configure += " --set-primary";
    if (problems[i].find("gateway.mode") != std::string::npos) configure += " --gateway-local";
  }
  return fail(name, detail, configure);
}

std::vector<doctor_check> doctor::run() const {
  std::vector<doctor_check> checks;
  std::size_t reported = 0;
  // Each check is reported as soon as it is known (a model load can take minutes).
  const auto flush = [&] {
    for (; reported < checks.size(); ++reported)
      if (options_.on_check) options_.on_check(checks[reported]);
  };
  const bool direct = !config_.via_proxy();
  checks.push_back(check_proxy_variables());

  flush();
  chain_client client{config_};
  hop_failure failure;
  const std::string reach_name = direct ? "Model Runner port reachable" : "proxy reachable";
  const std::string allow_name = "proxy allows the target";
  const std::string runner_name = "Model Runner answering";
  const std::string models_name = "models pulled";
  const std::string answer_name = "model answers";

  bool chain_ok = false;
  std::vector<model_info> models;
  waiting("a connection to " + config_.next_hop_authority());
  if (!client.connect_only(failure)) {
    checks.push_back(fail(reach_name, failure));
    if (!direct) checks.push_back(skip(allow_name, "the proxy is not reachable"));
    checks.push_back(skip(runner_name, "no connection"));
  } else {
    checks.push_back(ok(reach_name, direct ? config_.target_authority() + " accepts connections"
                                          : config_.next_hop_authority() + " accepts connections"));
    waiting("the Model Runner's GET /models");
    auto response = client.fetch("GET", "/models", "", options_.request_timeout, failure);
    if (!response && failure.problem == hop_problem::proxy_denied) {
      checks.push_back(fail(allow_name, failure));
      checks.push_back(skip(runner_name, "blocked by the proxy"));
    } else {
      if (!direct) checks.push_back(ok(allow_name, "requests to " + config_.target_authority() + " pass"));
      nlohmann::json native;
      if (response) native = nlohmann::json::parse(response->body, nullptr, false);
      if (!response) {
        checks.push_back(fail(runner_name, failure));
      } else if (!native.is_array()) {
        checks.push_back(fail(runner_name, client.describe(hop_problem::bad_answer, "GET /models is not a JSON array")));
      } else {
        auto c = ok(runner_name, "GET /models answered");
        c.latency_ms = ms(response->elapsed);
        checks.push_back(c);
        flush();
        chain_ok = true;
        // The OpenAI list is what inference accepts; the native one adds metadata.
        waiting("the Model Runner's model list");
        auto list = client.fetch("GET", "/engines/v1/models", "", options_.request_timeout, failure);
        try {
          models = model_catalog::combine(list ? model_catalog::from_openai(nlohmann::json::parse(list->body))
                                               : std::vector<model_info>{},
                                          model_catalog::from_native(native));
        } catch (const nlohmann::json::exception&) {
          models = model_catalog::from_native(native);
        }
      }
    }
  }

  std::string model = options_.model;
  if (!chain_ok) {
    checks.push_back(skip(models_name, "the Model Runner is not reachable"));
    checks.push_back(skip(answer_name, "the Model Runner is not reachable"));
  } else if (models.empty()) {
    checks.push_back(fail(models_name, "the Model Runner has no models", "docker model pull ai/smollm2   (on the host)"));
    checks.push_back(skip(answer_name, "no model to ask"));
  } else {
    std::string names;
    for (const auto& m : models) names += (names.empty() ? "" : ", ") + m.id;
    checks.push_back(ok(models_name, std::to_string(models.size()) + (models.size() == 1 ? " model: " : " models: ") + names));
    flush();
    if (model.empty()) {
      // The model OpenClaw is configured to use, else the first one.
      std::error_code ec;
      const auto text = config_file::read(options_.openclaw_config, ec);
      json5_error error;
      const auto doc = text ? json5_document::parse(*text, error) : std::nullopt;
      const std::string prefix = std::string(openclaw_config::provider_id) + "/";
      if (doc) {
        const auto value = doc->to_json();
        const auto ptr = nlohmann::json::json_pointer("/agents/defaults/model");
        std::string primary;
        if (value.contains(ptr) && value.at(ptr).is_string()) primary = value.at(ptr).get<std::string>();
        if (value.contains(ptr) && value.at(ptr).is_object()) primary = value.at(ptr).value("primary", "");
        if (primary.rfind(prefix, 0) == 0) model = primary.substr(prefix.size());
      }
      if (model.empty()) model = models.front().id;
    }
    const auto* found = model_catalog::find(models, model);
    if (found == nullptr) {
      checks.push_back(fail(answer_name, "model " + model + " is not in the Model Runner",
                            "docker model pull " + model + "   (on the host)"));
    } else {
      const nlohmann::json body = {{"model", found->id},
                                   {"messages", {{{"role", "user"}, {"content", "Reply with OK."}}}},
                                   {"max_tokens", 1},
                                   {"stream", false}};
      waiting("a one-token completion from " + found->id + " (a first request loads the model)");
      auto answer = client.fetch("POST", "/engines/llama.cpp/v1/chat/completions", body.dump(),
                                 options_.completion_timeout, failure);
      if (!answer) {
        checks.push_back(fail(answer_name, found->id + ": " + failure.message, failure.fix));
      } else {
        const auto reply = nlohmann::json::parse(answer->body, nullptr, false);
        if (!reply.is_object() || !reply.contains("choices")) {
          checks.push_back(fail(answer_name, client.describe(hop_problem::bad_answer, "the completion has no choices")));
        } else {
          auto c = ok(answer_name, found->id + " answered a one-token completion in " + format_ms(ms(answer->elapsed)));
          c.latency_ms = ms(answer->elapsed);
          checks.push_back(c);
        }
      }
    }
  }
  flush();
  check_running_bridge(checks, chain_ok ? model : std::string(), flush);
  flush();
  checks.push_back(check_openclaw_config());
  flush();
  return checks;
}

bool doctor::all_passed(const std::vector<doctor_check>& checks) {
  for (const auto& c : checks) {
    if (c.result == status::fail) return false;
  }
  return true;
}

std::string doctor::to_text(const std::vector<doctor_check>& checks) {
  std::size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  std::string out;
  for (const auto& c : checks) out += to_text(c, width);
  out += all_passed(checks) ? "all checks passed\n" : "some checks failed\n";
  return out;
}

std::string doctor::to_text(const doctor_check& c, std::size_t width) {
  const char* tag = c.result == status::ok ? "OK  " : c.result == status::fail ? "FAIL" : "SKIP";
  width = std::max(width, c.name.size());
  std::string out = std::string(tag) + "  " + c.name + std::string(width - c.name.size() + 2, ' ') + c.detail + "\n";
  if (!c.fix.empty()) out += std::string(6 + width + 2, ' ') + "fix: " + c.fix + "\n";
  return out;
}

nlohmann::ordered_json doctor::to_json(const std::vector<doctor_check>& checks) {
  nlohmann::ordered_json out;
  out["ok"] = all_passed(checks);
  auto list = nlohmann::ordered_json::array();
  for (const auto& c : checks) {
    nlohmann::ordered_json j;
    j["name"] = c.name;
    j["status"] = c.result == status::ok ? "ok" : c.result == status::fail ? "fail" : "skip";
    j["detail"] = c.detail;
    if (!c.fix.empty()) j["fix"] = c.fix;
    if (c.latency_ms) j["latency_ms"] = *c.latency_ms;
    list.push_back(std::move(j));
  }
  out["checks"] = std::move(list);
  return out;
}

}  // namespace mrb::setup
