#pragma once
// Segments of data a TCP socket has received (Linux TCP_INFO tcpi_data_segs_in): on loopback with
// TCP_NODELAY one write of the peer is one segment, so a test can count the peer's writes.
#include <cstdint>
#include <optional>

namespace fakes::sandbox_proxy::testing {

std::optional<std::uint32_t> data_segments_in(int fd);

} // namespace fakes::sandbox_proxy::testing
