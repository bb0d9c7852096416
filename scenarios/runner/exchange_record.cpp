#include "exchange_record.hpp"

#include <boost/algorithm/string/predicate.hpp>

namespace mrb::scenarios {

const std::string* exchange_record::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (boost::iequals(k, name)) return &v;
  return nullptr;
}

std::size_t exchange_record::header_count(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& [k, v] : headers)
    if (boost::iequals(k, name)) ++n;
  return n;
}

}  // namespace mrb::scenarios
