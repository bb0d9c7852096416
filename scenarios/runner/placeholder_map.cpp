#include "placeholder_map.hpp"

#include <charconv>

namespace mrb::scenarios {

std::string placeholder_map::expand(const std::string& text) const {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto open = text.find("${", i);
    if (open == std::string::npos) break;
    auto close = text.find('}', open + 2);
    if (close == std::string::npos) break;
    out.append(text, i, open - i);
    auto it = values_.find(text.substr(open + 2, close - open - 2));
    if (it != values_.end()) out += it->second;
    else out.append(text, open, close - open + 1);
    i = close + 1;
  }
  out.append(text, i, std::string::npos);
  return out;
}

nlohmann::json placeholder_map::expand(const nlohmann::json& value) const {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() > 3 && s.rfind("${", 0) == 0 && s.back() == '}' && s.find("${", 2) == std::string::npos) {
      auto it = values_.find(s.substr(2, s.size() - 3));
      if (it != values_.end()) {
        long long n = 0;
        const auto& v = it->second;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec == std::errc{} && p == v.data() + v.size() && !v.empty()) return n;
      }
    }
    return expand(s);
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : value.items()) out[expand(k)] = expand(v);
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : value) out.push_back(expand(v));
    return out;
  }
  return value;
}

}  // namespace mrb::scenarios
