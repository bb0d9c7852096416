#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fakes::sandbox_proxy {

/// One `--allow-host` / `--block-host` / `--bypass-host` pattern: `example.com`,
/// `example.com:443`, `*.example.com[:443]`, `*`, `*:443` (also written `:443`),
/// `[::1]:443` or a bare IPv6 literal.
class host_pattern
{
public:
    enum class kind { exact, wildcard, any };

    /// Throws std::invalid_argument on a malformed pattern (start-up only).
    static host_pattern
    parse(std::string_view text);

    /// `host` must already be normalised (see policy::normalize_host).
    bool
    matches(std::string_view host, std::uint16_t port) const;

    /// Larger is more specific, in the documented order: exact host and port, exact host,
    /// wildcards longest first (port-specific before portless), catch-alls, and only then
    /// the default policy.
    long
    specificity() const;

    kind
    pattern_kind() const { return kind_; }
    const std::string&
    text() const { return text_; }
    bool
    has_port() const { return port_.has_value(); }

private:
    kind kind_ = kind::any;
    std::string host_;  // exact: the host; wildcard: the suffix including the leading dot
    std::optional<std::uint16_t> port_;
    std::string text_;
};

/// Splits `host[:port]` / `[v6]:port` / bare `v6`; throws std::invalid_argument on a bad port.
std::pair<std::string, std::optional<std::uint16_t>>
split_host_port(std::string_view text);

/// Lower-cases, strips IPv6 brackets and one trailing dot.
std::string
lower_host(std::string_view host);

} // namespace fakes::sandbox_proxy
