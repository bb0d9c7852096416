#include "bridge/setup/model_catalog.hpp"

#include <algorithm>
#include <cctype>

namespace mrb::setup {
namespace {

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> integer_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it != object.end() && it->is_number_integer() && it->get<std::int64_t>() > 0) return it->get<std::int64_t>();
  return std::nullopt;
}

void fill_metadata(model_info& m, const nlohmann::json& meta, const char* context_key) {
  if (!meta.is_object()) return;
  m.context_window = integer_field(meta, context_key);
  m.size = string_field(meta, "size");
  m.quantization = string_field(meta, "quantization");
  m.parameters = string_field(meta, "parameters");
  m.architecture = string_field(meta, "architecture");
}

}  // namespace

std::vector<model_info> model_catalog::from_native(const nlohmann::json& models) {
  std::vector<model_info> out;
  for (const auto& entry : models.get_ref<const nlohmann::json::array_t&>()) {
    model_info m;
    const auto tags = entry.find("tags");
    if (tags != entry.end() && tags->is_array() && !tags->empty() && tags->front().is_string()) {
      m.id = tags->front().get<std::string>();
    } else {
      m.id = entry.at("id").get<std::string>();
    }
    if (const auto config = entry.find("config"); config != entry.end()) fill_metadata(m, *config, "context_size");
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<model_info> model_catalog::from_openai(const nlohmann::json& list) {
  std::vector<model_info> out;
  for (const auto& entry : list.at("data").get_ref<const nlohmann::json::array_t&>()) {
    model_info m;
    m.id = entry.at("id").get<std::string>();
    if (const auto dmr = entry.find("dmr"); dmr != entry.end()) fill_metadata(m, *dmr, "context_window");
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<model_info> model_catalog::combine(const std::vector<model_info>& openai,
                                               const std::vector<model_info>& native) {
  std::vector<model_info> out = openai;
  for (auto& m : out) {
    const auto it = std::find_if(native.begin(), native.end(), [&](const model_info& n) { return n.id == m.id; });
    if (it == native.end()) continue;
    if (!m.context_window) m.context_window = it->context_window;
    if (m.size.empty()) m.size = it->size;
    if (m.quantization.empty()) m.quantization = it->quantization;
    if (m.parameters.empty()) m.parameters = it->parameters;
    if (m.architecture.empty()) m.architecture = it->architecture;
  }
  for (const auto& n : native) {
    if (std::none_of(out.begin(), out.end(), [&](const model_info& m) { return m.id == n.id; })) out.push_back(n);
  }
  return out;
}

std::string model_catalog::normalise(const std::string& name) {
  if (name.rfind("sha256:", 0) == 0) return name;
  std::string out = name;
  const auto slash = out.rfind('/');
  const auto colon = out.find(':', slash == std::string::npos ? 0 : slash);
  std::string repo = colon == std::string::npos ? out : out.substr(0, colon);
  std::string tag = colon == std::string::npos ? "latest" : out.substr(colon + 1);
  if (repo.find('/') == std::string::npos) repo = "ai/" + repo;
  if (repo.rfind("hf.co/", 0) == 0) repo = "huggingface.co/" + repo.substr(6);
  std::transform(repo.begin(), repo.end(), repo.begin(), [](unsigned char c) { return std::tolower(c); });
  return repo + ":" + tag;
}

const model_info* model_catalog::find(const std::vector<model_info>& models, const std::string& wanted) {
  for (const auto& m : models) {
    if (m.id == wanted) return &m;
  }
  const auto norm = normalise(wanted);
  for (const auto& m : models) {
    if (normalise(m.id) == norm) return &m;
  }
  return nullptr;
}

nlohmann::ordered_json model_catalog::to_json(const std::vector<model_info>& models) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& m : models) {
    nlohmann::ordered_json j;
    j["id"] = m.id;
    j["context_window"] = m.context_window ? nlohmann::ordered_json(*m.context_window) : nlohmann::ordered_json();
    j["size"] = m.size;
    j["quantization"] = m.quantization;
    j["parameters"] = m.parameters;
    j["architecture"] = m.architecture;
    out.push_back(std::move(j));
  }
  return out;
}

std::string model_catalog::to_table(const std::vector<model_info>& models) {
  std::vector<std::vector<std::string>> rows{{"MODEL", "CONTEXT", "SIZE", "QUANTIZATION", "PARAMETERS"}};
  for (const auto& m : models) {
    rows.push_back({m.id, m.context_window ? std::to_string(*m.context_window) : "-", m.size.empty() ? "-" : m.size,
                    m.quantization.empty() ? "-" : m.quantization, m.parameters.empty() ? "-" : m.parameters});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace mrb::setup
