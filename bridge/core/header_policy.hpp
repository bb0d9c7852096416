#pragma once
// What the bridge changes in a message head, both ways, and nothing more: absolute-form target
// and Host for the target, hop-by-hop fields removed, one Via, the proxy's credentials. Every
// other field passes byte for byte.

#include "bridge_config.hpp"

#include <boost/beast/http/message.hpp>

#include <string>
#include <string_view>

namespace mrb {

class header_policy
{
public:
    /// The pseudonym added to Via (RFC 9110 7.6.3).
    static constexpr std::string_view via_value = "1.1 model-runner-bridge";

    enum class target_verdict
    {
        ok,
        connect_method,  ///< CONNECT: never a tunnel
        foreign_target,  ///< absolute-form naming another authority or scheme
        bad_target,      ///< not origin-form / absolute-form
    };

    explicit header_policy(const bridge_config& config);

    /// Classifies the client's request target; on ok, `origin_form` receives path?query.
    target_verdict check_target(boost::beast::http::verb method, std::string_view target,
                                std::string& origin_form) const;

    /// Rewrites a client request head for the next hop (proxy: absolute-form; direct: origin-form).
    void rewrite_request(boost::beast::http::request_header<>& header, std::string_view origin_form) const;

    /// Addresses a request to the target through the next hop: absolute-form through the proxy
    /// (origin-form when direct), Host = the target, the proxy's Proxy-Authorization. Part of
    /// rewrite_request; also used alone by the setup commands, which originate their requests
    /// (so they add no Via: that names intermediaries, RFC 9110 7.6.3).
    void address_request(boost::beast::http::request_header<>& header, std::string_view origin_form) const;

    /// Removes hop-by-hop fields from an upstream response head and appends Via. Framing fields
    /// (Content-Length, Transfer-Encoding) are kept: the caller decides framing towards the client.
    void rewrite_response(boost::beast::http::response_header<>& header) const;

private:
    std::string target_authority_;
    std::string absolute_prefix_;        // "http://host:port"
    std::string proxy_authorization_;    // empty when none or direct
    bool direct_;
};

} // namespace mrb
