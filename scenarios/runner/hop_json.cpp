#include "hop_json.hpp"

#include <boost/algorithm/string/case_conv.hpp>

namespace mrb::scenarios {

nlohmann::json request_json(const std::string& method, const std::string& target,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            long long body_size) {
  nlohmann::json h = nlohmann::json::object();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [k, v] : headers) {
    auto lower = boost::algorithm::to_lower_copy(k);
    // Repeated fields are joined like a list-valued field would be (RFC 9110 §5.3).
    if (h.contains(lower)) h[lower] = h[lower].get<std::string>() + ", " + v;
    else h[lower] = v;
    list.push_back({k, v});
  }
  // The path of an absolute-form target (what a proxy receives) as well as of origin-form.
  std::string path = target;
  if (auto scheme = target.find("://"); scheme != std::string::npos) {
    auto slash = target.find('/', scheme + 3);
    path = slash == std::string::npos ? "/" : target.substr(slash);
  }
  nlohmann::json j = {{"method", method}, {"target", target}, {"path", path}, {"headers", h}, {"header_list", list}};
  if (body_size >= 0) j["body_size"] = body_size;
  return j;
}

}  // namespace mrb::scenarios
