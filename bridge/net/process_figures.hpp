#pragma once
// The process figures /metrics shows (resident memory, open descriptors, start time), read from
// /proc the way Prometheus's client libraries do. Zero where /proc cannot be read.

#include "core/metrics.hpp"

namespace mrb {

process_figures read_process_figures();

} // namespace mrb
