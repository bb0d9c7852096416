// scenario-runner: runs scenario files against the bridge (docs/scenarios.md), writes the
// conformance matrix (docs/conformance.md) and turns bridge captures into scenarios.
#include "capture_converter.hpp"
#include "cli_kit.hpp"
#include "matrix_report.hpp"
#include "scenario.hpp"
#include "scenario_execution.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mrb::scenarios;

namespace {

#ifndef MRB_DEFAULT_BRIDGE
#define MRB_DEFAULT_BRIDGE ""
#endif

std::vector<fs::path> collect(const std::vector<std::string>& inputs) {
  std::vector<fs::path> files;
  for (const auto& in : inputs) {
    if (fs::is_directory(in)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(in))
        if (e.is_regular_file() && e.path().extension() == ".json") found.push_back(e.path());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(in);
    }
  }
  return files;
}

scenario_result run_file(const fs::path& file, const run_settings& settings) {
  try {
    auto sc = scenario::load(file);
    scenario_execution exec(sc, settings);
    return exec.run();
  } catch (const std::exception& e) {
    scenario_result r;
    r.file = file.string();
    r.suite = file.parent_path().filename().string();
    r.name = file.stem().string();
    r.outcome = "fail";
    r.reason = e.what();
    r.failures = {e.what()};
    return r;
  }
}

void print_plain(const scenario_result& r, bool transcript_on_pass) {
  static const std::map<std::string, std::string> tag = {
      {"pass", "PASS "}, {"fail", "FAIL "}, {"xfail", "XFAIL"}, {"xpass", "XPASS"}, {"n/a", "N/A  "}};
  std::cout << tag.at(r.outcome) << " " << r.suite << "/" << r.name << " (" << static_cast<long>(r.ms) << " ms)";
  if (r.outcome == "n/a" || r.outcome == "xfail" || r.outcome == "xpass") std::cout << ": " << r.reason;
  std::cout << "\n";
  for (const auto& n : r.not_observed) std::cout << "      not observable here: " << n << "\n";
  if (r.outcome == "fail" || r.outcome == "xfail" || r.outcome == "xpass") {
    for (const auto& f : r.failures) std::cout << "      " << f << "\n";
  }
  if ((r.outcome == "fail" || r.outcome == "xpass" || transcript_on_pass) && !r.transcript.empty())
    std::cout << "    transcript:\n" << r.transcript << "\n";
}

// Whether `name` is an executable on PATH: the matrix leaves the Node peer out when it is not.
bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string rest = path ? path : "";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::string dir = rest.substr(0, colon);
    rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
    if (!dir.empty() && ::access((fs::path(dir) / name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// "FILE:LINE:COL: message" for a file that is not JSON at all, or "" when it parses: a broken
// file is a usage error named precisely, not a failed scenario with a transcript.
std::string json_syntax_error(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return file.string() + ": cannot read it";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    const auto doc = nlohmann::json::parse(text);
    (void)doc;
    return {};
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    if (const auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    return file.string() + ":" + std::to_string(line) + ":" + std::to_string(col) + ": invalid JSON: " + what;
  }
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  // A bridge that dies mid-write must not kill the runner.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"scenario-runner: runs scenario files against model-runner-bridge (docs/scenarios.md)\n"
               "Exit codes: 0 all passed, 1 a scenario failed, 2 usage error (bad flag, unreadable or invalid file)."};
  mrb::cli_kit::apply(app, "scenario-runner");
  std::vector<std::string> inputs;
  std::string bridge = MRB_DEFAULT_BRIDGE;
  std::string bridge_cmd;
  std::string proxy = "fake";
  bool json = false;
  bool transcript = false;
  bool matrix = false;
  std::string matrix_out = MRB_DEFAULT_MATRIX_OUT;
  std::string seed_cmd = "node " MRB_ARTICLE_BRIDGE_JS;
  std::string update_doc;
  std::string from_capture;
  std::string output;
  app.add_option("files", inputs, "Scenario files or folders (searched for *.json)");
  app.add_option("--bridge", bridge, "model-runner-bridge binary to judge")->capture_default_str();
  app.add_option("--bridge-cmd", bridge_cmd,
                 "Another bridge to judge, run with /bin/sh -c and configured by environment like the seed bridge "
                 "(HTTP_PROXY, BRIDGE_HOST, BRIDGE_PORT, TARGET)");
  app.add_option("--proxy", proxy, "fake (in-process fake sandbox proxy) or real-squid")
      ->check(CLI::IsMember({"fake", "real-squid"}))
      ->capture_default_str();
  app.add_flag("--json", json, "One JSON document with every result on stdout");
  app.add_flag("--transcript", transcript, "Print the transcript of passing scenarios too");
  app.add_flag("--matrix", matrix,
               "Run the files (default: the whole catalogue) against this bridge and the seed bridge, through the "
               "fake proxy and Squid, and write the matrix");
  app.add_option("--matrix-out", matrix_out, "Where --matrix writes")->capture_default_str();
  app.add_option("--update-doc", update_doc, "With --matrix: also replace this file (docs/conformance.md)");
  auto* seed_opt =
      app.add_option("--seed-cmd", seed_cmd, "The seed bridge command for --matrix (default: the article's Node bridge)")
          ->capture_default_str();
  app.add_option("--from-capture", from_capture,
                 "Turn a bridge capture (docs/capture.md) into a scenario whose fake Model Runner replays it");
  app.add_option("-o,--output", output, "With --from-capture: write the scenario here instead of stdout");
  if (const int rc = mrb::cli_kit::parse(app, argc, argv); rc >= 0) return rc;

  if (!from_capture.empty()) {
    try {
      auto sc = capture_converter::convert_file(from_capture);
      const auto text = sc.dump(2) + "\n";
      if (output.empty()) std::cout << text;
      else std::ofstream(output) << text;
      return 0;
    } catch (const std::exception& e) {
      return mrb::cli_kit::usage_error("scenario-runner", "--from-capture " + from_capture + ": " + e.what());
    }
  }

  if (inputs.empty() && matrix) inputs = {MRB_CATALOGUE_DIR};
  if (inputs.empty()) return mrb::cli_kit::usage_error("scenario-runner", "no scenario files given");
  for (const auto& in : inputs)
    if (!fs::exists(in)) return mrb::cli_kit::usage_error("scenario-runner", in + ": no such file or folder");
  const auto files = collect(inputs);
  for (const auto& f : files)
    if (const auto err = json_syntax_error(f); !err.empty()) return mrb::cli_kit::usage_error("scenario-runner", err);
  // Our bridge is started for every scenario (and for the matrix): a wrong path is one error, now.
  if (bridge_cmd.empty() || matrix) {
    if (bridge.empty()) return mrb::cli_kit::usage_error("scenario-runner", "no bridge binary (--bridge PATH or --bridge-cmd CMD)");
    if (!fs::is_regular_file(bridge) || ::access(bridge.c_str(), X_OK) != 0)
      return mrb::cli_kit::usage_error("scenario-runner", "--bridge " + bridge + ": not an executable file");
  }

  if (matrix) {
    struct combo {
      std::string title;
      run_settings settings;
    };
    std::vector<combo> combos = {
        {"this bridge / fake proxy", {{bridge, ""}, "fake"}},
        {"this bridge / Squid", {{bridge, ""}, "real-squid"}},
    };
    // The default peer needs Node; without it the matrix still judges this bridge.
    if (seed_opt->count() == 0 && !on_path("node")) {
      std::cout << "scenario-runner: node not found on PATH: leaving out the seed bridge columns\n";
    } else {
      combos.push_back({"seed bridge / fake proxy", {{bridge, seed_cmd}, "fake"}});
      combos.push_back({"seed bridge / Squid", {{bridge, seed_cmd}, "real-squid"}});
    }
    std::vector<matrix_report::column> cols;
    for (const auto& c : combos) {
      matrix_report::column col{c.title, {}};
      for (const auto& f : files) {
        auto r = run_file(f, c.settings);
        std::cout << "[" << c.title << "] ";
        print_plain(r, false);
        std::cout.flush();
        col.results.push_back(std::move(r));
      }
      cols.push_back(std::move(col));
    }
    const std::string command =
        "cmake --build build/dev --target scenario-runner model-runner-bridge\n"
        "build/dev/scenarios/runner/scenario-runner --matrix --update-doc docs/conformance.md";
    const auto text = matrix_report::markdown(cols, command, utc_now());
    for (const auto& out : {matrix_out, update_doc}) {
      if (out.empty()) continue;
      std::ofstream f(out);
      f << text;
      if (!f) {
        std::cerr << "scenario-runner: cannot write " << out << "\n";
        return 1;
      }
      std::cout << "wrote " << out << "\n";
    }
    return 0;
  }

  run_settings settings{{bridge, bridge_cmd}, proxy, transcript};
  int passed = 0, failed = 0, expected = 0, na = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& f : files) {
    auto r = run_file(f, settings);
    if (r.outcome == "pass") ++passed;
    else if (r.outcome == "xfail") ++expected;
    else if (r.outcome == "n/a") ++na;
    else ++failed;
    if (json) all.push_back(r.to_json(true));
    else {
      print_plain(r, transcript);
      std::cout.flush();
    }
  }
  if (json) {
    std::cout << nlohmann::json({{"bridge", settings.bridge.label()}, {"proxy", proxy}, {"results", all},
                                 {"passed", passed}, {"failed", failed}, {"expected_failures", expected},
                                 {"not_applicable", na}})
                     .dump(2)
              << "\n";
  } else {
    if (expected || na) std::cout << expected << " expected failures (known_failure), " << na << " not applicable\n";
    std::cout << passed << " passed, " << failed << " failed\n";
  }
  return failed == 0 ? 0 : 1;
}
