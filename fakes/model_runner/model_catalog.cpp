#include "model_catalog.hpp"

#include "model_name.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace fakes::model_runner {

namespace {

std::string
sha256_hex(std::string_view text)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md.data(), &len, EVP_sha256(), nullptr);
    std::string out;
    out.reserve(len * 2);
    std::array<char, 3> b{};
    for(unsigned i = 0; i < len; ++i)
    {
        std::snprintf(b.data(), b.size(), "%02x", md[i]);
        out += b.data();
    }
    return out;
}

// Go's omitempty: strings only when non-empty.
void
put_if(nlohmann::ordered_json& j, const char* key, const std::string& v)
{
    if(!v.empty())
        j[key] = v;
}

} // namespace

std::vector<model_info>
model_catalog::default_models()
{
    model_info smol;
    smol.tags = {"ai/smollm2:latest"};
    smol.created = 1742816981;
    smol.quantization = "IQ2_XXS/Q4_K_M";
    smol.parameters = "361.82 M";
    smol.architecture = "llama";
    smol.size = "256.35 MiB";
    smol.context_size = 8192;

    model_info qwen;
    qwen.tags = {"ai/qwen2.5:7B-Q4_K_M"};
    qwen.created = 1742900000;
    qwen.quantization = "Q4_K_M";
    qwen.parameters = "7.62 B";
    qwen.architecture = "qwen2";
    qwen.size = "4.36 GiB";
    qwen.context_size = 32768;
    return {smol, qwen};
}

model_catalog::model_catalog(std::vector<model_info> models)
    : models_(std::move(models))
{
    for(auto& m : models_)
    {
        for(auto& t : m.tags)
            t = normalize_model_name(t);
        if(m.id.empty())
            m.id = "sha256:" + sha256_hex(m.tags.empty() ? std::string("untagged") : m.tags.front());
    }
}

const model_info*
model_catalog::find(std::string_view name) const
{
    if(looks_like_model_id(name))
    {
        std::string_view hex = name.starts_with("sha256:") ? name.substr(7) : name;
        for(const auto& m : models_)
            if(std::string_view(m.id).substr(7).starts_with(hex))
                return &m;
        return nullptr;
    }
    auto norm = normalize_model_name(name);
    for(const auto& m : models_)
        for(const auto& t : m.tags)
            if(t == norm)
                return &m;
    return nullptr;
}

const model_info*
model_catalog::find_partial(std::string_view name) const
{
    if(auto m = find(name))
        return m;
    // Partial match: the repository part ("ai/smollm2") without a tag, or the bare name.
    std::string wanted(name);
    for(const auto& m : models_)
        for(const auto& t : m.tags)
        {
            auto colon = t.rfind(':');
            std::string repo = t.substr(0, colon);
            auto slash = repo.rfind('/');
            if(repo == wanted || (slash != std::string::npos && repo.substr(slash + 1) == wanted))
                return &m;
        }
    return nullptr;
}

nlohmann::ordered_json
model_catalog::native_json(const model_info& m)
{
    nlohmann::ordered_json j;
    j["id"] = m.id;
    if(!m.tags.empty())
        j["tags"] = m.tags;
    j["created"] = m.created;
    nlohmann::ordered_json c = nlohmann::ordered_json::object();
    put_if(c, "format", m.format);
    put_if(c, "quantization", m.quantization);
    put_if(c, "parameters", m.parameters);
    put_if(c, "architecture", m.architecture);
    put_if(c, "size", m.size);
    if(m.context_size > 0)
        c["context_size"] = m.context_size;
    j["config"] = c;
    return j;
}

nlohmann::ordered_json
model_catalog::native_list() const
{
    auto arr = nlohmann::ordered_json::array();
    for(const auto& m : models_)
        arr.push_back(native_json(m));
    return arr;
}

nlohmann::ordered_json
model_catalog::openai_json(const model_info& m)
{
    nlohmann::ordered_json j;
    j["id"] = m.tags.empty() ? m.id : m.tags.front();
    j["object"] = "model";
    j["created"] = m.created;
    j["owned_by"] = "docker";
    nlohmann::ordered_json d = nlohmann::ordered_json::object();
    if(m.context_size > 0)
        d["context_window"] = m.context_size;
    put_if(d, "architecture", m.architecture);
    put_if(d, "parameters", m.parameters);
    put_if(d, "quantization", m.quantization);
    put_if(d, "size", m.size);
    j["dmr"] = d;
    return j;
}

nlohmann::ordered_json
model_catalog::openai_list() const
{
    nlohmann::ordered_json j;
    j["object"] = "list";
    j["data"] = nlohmann::ordered_json::array();
    for(const auto& m : models_)
        j["data"].push_back(openai_json(m));
    return j;
}

model_info
model_from_json(const nlohmann::json& j)
{
    model_info m;
    if(j.is_string())
    {
        m.tags = {j.get<std::string>()};
        m.quantization = "Q4_K_M";
        m.parameters = "1.00 B";
        m.architecture = "llama";
        m.size = "600.00 MiB";
        m.context_size = 4096;
        return m;
    }
    if(j.contains("name"))
        m.tags = {j.at("name").get<std::string>()};
    if(j.contains("tags"))
        m.tags = j.at("tags").get<std::vector<std::string>>();
    m.id = j.value("id", std::string());
    m.created = j.value("created", m.created);
    m.format = j.value("format", m.format);
    m.quantization = j.value("quantization", std::string());
    m.parameters = j.value("parameters", std::string());
    m.architecture = j.value("architecture", std::string());
    m.size = j.value("size", std::string());
    m.context_size = j.value("context_size", std::int64_t{0});
    return m;
}

} // namespace fakes::model_runner
