#pragma once

namespace fakes::http_kit {

/// Raises the soft RLIMIT_NOFILE to the hard limit (10,000 concurrent streams need it).
/// Returns the new soft limit; never throws.
long raise_open_file_limit();

} // namespace fakes::http_kit
