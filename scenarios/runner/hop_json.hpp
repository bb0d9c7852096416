#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace mrb::scenarios {

/// Builds the normalised request object of component_hop::requests() from wire data.
nlohmann::json request_json(const std::string& method, const std::string& target,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            long long body_size);

}  // namespace mrb::scenarios
