#include "capture_converter.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mrb::scenarios {

nlohmann::json capture_converter::convert(const std::string& jsonl, const std::string& name, int index) {
  throw std::runtime_error("capture conversion: waiting for docs/capture.md");
}

nlohmann::json capture_converter::convert_file(const std::filesystem::path& file, int index) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return convert(ss.str(), file.stem().string(), index);
}

}  // namespace mrb::scenarios
