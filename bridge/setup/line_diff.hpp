#pragma once

#include <string>

namespace mrb::setup {

/// A unified diff of two texts, line by line (`--dry-run` shows what `configure` would change).
class line_diff {
public:
  /// "" when the texts are equal; otherwise `--- from` / `+++ to` and @@ hunks with `context`
  /// lines around each change. A last line without a newline is marked as diff(1) does.
  static std::string unified(const std::string& before, const std::string& after, const std::string& from_name,
                             const std::string& to_name, std::size_t context = 3);
};

}  // namespace mrb::setup
