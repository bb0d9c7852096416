// Fuzz target: the scenario loader (scenarios/runner/scenario.cpp), which reads every catalogue
// file. Invariants: a bad file is refused with std::runtime_error naming the file (the loader's
// contract: a typo fails loudly and says where), never another exception or a crash; a loaded
// scenario written back with to_json() loads again to the same thing.

#include "fuzz_support.hpp"

#include "scenario.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // Same parse as scenario::load (comments allowed), minus the file system.
    const auto j = nlohmann::json::parse(text, nullptr, false, true);
    if (j.is_discarded())
        return 0;
    // A file name that matches "name" when there is one, so the checks behind it are reached.
    std::string stem = "case";
    if (j.is_object() && j.contains("name") && j["name"].is_string())
        stem = j["name"].get<std::string>();
    const std::filesystem::path file = std::filesystem::path("fuzz") / (stem + ".json");
    const std::string where = file.string() + ": ";

    mrb::scenarios::scenario s;
    try
    {
        s = mrb::scenarios::scenario::from_json(j, file);
    }
    catch (const std::runtime_error& e)
    {
        const std::string_view what = e.what();
        FUZZ_CHECK(what.substr(0, where.size()) == where, "error does not name the file: " + mrb::fuzz::printable(what));
        return 0;
    }
    catch (const std::exception& e)
    {
        FUZZ_CHECK(false, std::string("not a runtime_error: ") + e.what());
    }
    const auto out = s.to_json();
    try
    {
        const auto again = mrb::scenarios::scenario::from_json(out, file);
        FUZZ_CHECK(again.to_json() == out, "to_json round trip changed the scenario");
    }
    catch (const std::exception& e)
    {
        FUZZ_CHECK(false, std::string("to_json() output refused: ") + e.what());
    }
    return 0;
}
