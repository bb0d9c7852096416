#include "json_match.hpp"

#include <algorithm>
#include <regex>

namespace mrb::scenarios {

namespace {

std::string brief(const nlohmann::json& j) {
  if (j.is_discarded()) return "(missing)";
  auto s = j.dump();
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

}  // namespace

bool json_match::is_operator(const nlohmann::json& p) {
  return p.is_object() && p.size() == 1 && p.begin().key().rfind('$', 0) == 0;
}

bool json_match::matches(const nlohmann::json& pattern, const nlohmann::json& actual) {
  std::vector<std::string> f;
  compare(pattern, actual, "", f);
  return f.empty();
}

void json_match::compare(const nlohmann::json& p, const nlohmann::json& a, const std::string& where,
                         std::vector<std::string>& failures) {
  if (is_operator(p)) {
    const auto& op = p.begin().key();
    const auto& arg = p.begin().value();
    auto text = a.is_string() ? a.get<std::string>() : a.dump();
    if (op == "$any") {
      if (a.is_discarded()) failures.push_back(where + ": missing");
    } else if (op == "$absent") {
      if (!a.is_discarded()) failures.push_back(where + ": expected absent, got " + brief(a));
    } else if (op == "$contains") {
      if (a.is_discarded() || text.find(arg.get<std::string>()) == std::string::npos)
        failures.push_back(where + ": expected to contain " + arg.dump() + ", got " + brief(a));
    } else if (op == "$not_contains") {
      if (!a.is_discarded() && text.find(arg.get<std::string>()) != std::string::npos)
        failures.push_back(where + ": expected not to contain " + arg.dump() + ", got " + brief(a));
    } else if (op == "$regex") {
      if (a.is_discarded() || !std::regex_search(text, std::regex(arg.get<std::string>())))
        failures.push_back(where + ": expected to match /" + arg.get<std::string>() + "/, got " + brief(a));
    } else if (op == "$ge" || op == "$le") {
      if (!a.is_number()) {
        failures.push_back(where + ": expected a number, got " + brief(a));
      } else if (op == "$ge" ? a.get<double>() < arg.get<double>() : a.get<double>() > arg.get<double>()) {
        failures.push_back(where + ": expected " + (op == "$ge" ? ">= " : "<= ") + arg.dump() + ", got " + a.dump());
      }
    } else if (op == "$set" || op == "$has") {
      if (!a.is_array()) {
        failures.push_back(where + ": expected an array, got " + brief(a));
        return;
      }
      std::vector<nlohmann::json> left(a.begin(), a.end());
      for (const auto& want : arg) {
        auto it = std::find_if(left.begin(), left.end(), [&](const auto& x) { return matches(want, x); });
        if (it == left.end()) {
          failures.push_back(where + ": expected an element matching " + brief(want) + " in " + brief(a));
          return;
        }
        left.erase(it);
      }
      if (op == "$set" && !left.empty())
        failures.push_back(where + ": unexpected extra elements " + brief(nlohmann::json(left)));
    } else {
      failures.push_back(where + ": unknown operator " + op);
    }
    return;
  }
  if (a.is_discarded()) {
    failures.push_back(where + ": missing (expected " + brief(p) + ")");
    return;
  }
  if (p.is_object()) {
    if (!a.is_object()) {
      failures.push_back(where + ": expected an object, got " + brief(a));
      return;
    }
    for (const auto& [k, v] : p.items()) {
      auto it = a.find(k);
      compare(v, it == a.end() ? nlohmann::json(nlohmann::json::value_t::discarded) : *it, where + "." + k, failures);
    }
    return;
  }
  if (p.is_array()) {
    if (!a.is_array() || a.size() != p.size()) {
      failures.push_back(where + ": expected " + brief(p) + ", got " + brief(a));
      return;
    }
    for (std::size_t i = 0; i < p.size(); ++i) compare(p[i], a[i], where + "[" + std::to_string(i) + "]", failures);
    return;
  }
  if (p.is_number() && a.is_number()) {
    if (p.get<double>() != a.get<double>()) failures.push_back(where + ": expected " + p.dump() + ", got " + a.dump());
    return;
  }
  if (p != a) failures.push_back(where + ": expected " + brief(p) + ", got " + brief(a));
}

}  // namespace mrb::scenarios
