#pragma once

#include "credentials.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fakes::sandbox_proxy {

/// A request head as the client sent it.
struct client_request_head
{
    std::string method;
    std::string target;
    unsigned version = 11; // 10 or 11
    header_list headers;
};

/// What the proxy sends upstream (or, for CONNECT, where it tunnels to).
struct upstream_request_head
{
    bool is_connect = false;
    std::string method;
    std::string target;          // origin-form; empty for CONNECT
    header_list headers;         // Host first, hop-by-hop and framing fields removed
    std::string host;            // normalised host named by the request (before any rewrite)
    std::uint16_t port = 0;
    std::string authority;       // the Host value sent upstream
    std::string url;             // the absolute URL, for the network log
    bool host_replaced = false;  // the client's Host differed from the target; ignored
    bool has_body = false;       // the client framed a body (Content-Length or chunked)
};

/// Either the upstream head or the status to answer with (400, 501) and why.
struct rewrite_result
{
    std::optional<upstream_request_head> head;
    unsigned status = 0;
    std::string error;
};

/// Sans-I/O: validates a forward-proxy request strictly and turns it into the upstream
/// request. Absolute-form `http://` targets become origin-form with Host taken from the target
/// authority; per RFC 9112 §3.2.2 a differing Host is ignored, while a missing (HTTP/1.1),
/// repeated or invalid Host is a 400 (§3.2). CONNECT needs authority-form `host:port`.
/// Ambiguous framing (Content-Length with Transfer-Encoding, conflicting lengths, a transfer
/// coding other than a final `chunked`) is a 400 as well.
rewrite_result
rewrite_request(const client_request_head& in);

/// Removes the hop-by-hop fields (Connection and the names it lists, Keep-Alive,
/// Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Upgrade) and the
/// framing fields (Content-Length, Transfer-Encoding), keeping the order of the rest.
header_list
end_to_end_fields(const header_list& in);

} // namespace fakes::sandbox_proxy

namespace fakes::sandbox_proxy {

/// The real proxy forwards `host.docker.internal` as `localhost`: when the policy rewrote the
/// host, the Host field follows (port kept as the client wrote it).
void
rewrite_destination(upstream_request_head& head, std::string_view new_host);

} // namespace fakes::sandbox_proxy
