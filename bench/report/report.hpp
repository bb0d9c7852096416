#pragma once
// Renders a bridge-bench result document: the target verdicts (computed from medians of rounds
// of one run), Markdown tables, and an SVG chart of the latency distributions per path.
#include <nlohmann/json.hpp>

#include <string>

namespace mrb::bench {

const nlohmann::json& field(const nlohmann::json& j, const char* key);

// Adds "ratios", "targets" and "floor" to the document (from its "results", "scale", "startup").
void evaluate_targets(nlohmann::json& doc);

// Adds "floor": per measure, what the bare relay hop adds over direct (r - a), what the bridge
// adds (e - a) and the bridge's cost above the floor (e - r). evaluate_targets() calls it.
void evaluate_floor(nlohmann::json& doc);

std::string render_markdown(const nlohmann::json& doc, const std::string& chart_file_name);

std::string render_svg(const nlohmann::json& doc);

}  // namespace mrb::bench
