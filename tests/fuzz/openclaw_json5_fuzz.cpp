// Fuzz target: the fake OpenClaw client's own JSON5 reader (fakes/openclaw_client), written apart
// from the bridge's so a JSON5 bug cannot hide on both sides of a test. Invariants: never crash
// or throw; an error has a position inside the text; a value read back from its own JSON
// serialisation is the same (JSON is JSON5).

#include "fuzz_support.hpp"

#include "json5_reader.hpp"

#include <cmath>

namespace {

bool all_finite(const nlohmann::json& j)
{
    if (j.is_number_float())
        return std::isfinite(j.get<double>());
    if (j.is_object())
        for (const auto& [k, v] : j.items())
            if (!mrb::fuzz::is_utf8(k) || !all_finite(v))
                return false;
    if (j.is_array())
        for (const auto& v : j)
            if (!all_finite(v))
                return false;
    if (j.is_string())
        return mrb::fuzz::is_utf8(j.get_ref<const std::string&>());
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto r = fakes::openclaw::json5_reader::parse(text);
    if (!r)
    {
        FUZZ_CHECK(r.error->line >= 1 && r.error->column >= 0, r.error->message);
        FUZZ_CHECK(!r.error->message.empty(), "error without a message");
        return 0;
    }
    if (!all_finite(r.value))
        return 0;
    const auto json_text = r.value.dump();
    const auto again = fakes::openclaw::json5_reader::parse(json_text);
    FUZZ_CHECK(bool(again), "own JSON output rejected: " + (again.error ? again.error->message : std::string()) +
                                " in " + mrb::fuzz::printable(json_text));
    FUZZ_CHECK(again.value == r.value, "JSON round trip changed the value: " + mrb::fuzz::printable(json_text));
    return 0;
}
