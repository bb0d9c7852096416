#include "matrix_report.hpp"

#include <map>
#include <sstream>

namespace mrb::scenarios {

namespace {

std::string cell(const scenario_result& r) {
  std::string s;
  if (r.outcome == "pass") s = "pass";
  else if (r.outcome == "fail") s = "**FAIL**";
  else if (r.outcome == "xfail") s = "known failure";
  else if (r.outcome == "xpass") s = "**passes (stale known_failure)**";
  else s = "n/a";
  if (!r.not_observed.empty() && r.outcome == "pass") s += " (" + std::to_string(r.not_observed.size()) + " checks n/o)";
  return s;
}

// A reason short enough for a table cell, with pipes escaped.
std::string short_reason(std::string r) {
  for (auto& c : r)
    if (c == '\n' || c == '|') c = c == '|' ? '/' : ' ';
  if (r.size() > 160) r = r.substr(0, 157) + "...";
  return r;
}

}  // namespace

std::string matrix_report::markdown(const std::vector<column>& cols, const std::string& command,
                                    const std::string& generated_at) {
  std::ostringstream o;
  o << "# Conformance matrix\n\n"
    << "Every scenario of the catalogue (`scenarios/<suite>/<name>.json`, format in "
       "[scenarios.md](scenarios.md)) against this bridge and the seed bridge, the Node bridge of Docker's "
       "article (`tests/peers/article-bridge.js`), through the fake sandbox proxy and through real Squid.\n\n"
    << "Regenerate (after building `scenario-runner` and `model-runner-bridge`):\n\n```sh\n"
    << command << "\n```\n\n"
    << "Generated " << generated_at << ". Cells: `pass`; `**FAIL**` (the reason follows the table); "
       "`known failure` (the scenario carries a `known_failure` note and failed as noted); `n/a` (the "
       "combination cannot run it: a fake-proxy-only feature, a policy Squid cannot express, or a "
       "model-runner-bridge-only feature such as its access log or subcommands); "
       "`(k checks n/o)`: passed, but k checks could not be observed in this combination (Squid does not "
       "record request heads; the seed bridge writes no access log).\n\n";

  // Totals per column.
  o << "## Totals\n\n| column | pass | fail | known failure | n/a |\n|---|---|---|---|---|\n";
  for (const auto& c : cols) {
    std::map<std::string, int> n;
    for (const auto& r : c.results) n[r.outcome]++;
    o << "| " << c.title << " | " << n["pass"] << " | " << n["fail"] + n["xpass"] << " | " << n["xfail"] << " | "
      << n["n/a"] << " |\n";
  }

  o << "\n## Scenarios\n\n| suite | scenario | targets seed defect |";
  for (const auto& c : cols) o << " " << c.title << " |";
  o << "\n|---|---|---|";
  for (std::size_t i = 0; i < cols.size(); ++i) o << "---|";
  o << "\n";
  const auto n = cols.empty() ? 0 : cols[0].results.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& first = cols[0].results[i];
    o << "| " << first.suite << " | [" << first.name << "](../scenarios/" << first.suite << "/" << first.name
      << ".json) | " << (first.seed_defect.empty() ? "" : short_reason(first.seed_defect)) << " |";
    for (const auto& c : cols) o << " " << cell(c.results[i]) << " |";
    o << "\n";
  }

  o << "\n## Why: failures, known failures and n/a\n\n";
  for (const auto& c : cols) {
    bool any = false;
    for (const auto& r : c.results) {
      if (r.outcome == "pass") continue;
      if (!any) o << "### " << c.title << "\n\n";
      any = true;
      o << "- `" << r.suite << "/" << r.name << "` " << cell(r) << ": " << short_reason(r.reason);
      if (r.outcome == "xfail") o << " (noted: " << short_reason(r.known_failure) << ")";
      o << "\n";
    }
    if (any) o << "\n";
  }
  return o.str();
}

}  // namespace mrb::scenarios
