#pragma once

#include "client_reader.hpp"
#include "proxy_state.hpp"
#include "request_rewrite.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <optional>

namespace fakes::http_kit {
struct received_request;
}

namespace fakes::sandbox_proxy {

/// One client connection of the fake proxy: reads requests, applies the policy, forwards
/// absolute-form `http://` requests (keep-alive both sides; request and response bodies relayed
/// as they arrive through a small buffer, so any size passes with bounded memory) or
/// opens a CONNECT tunnel, and applies the faults. Runs on the connection's strand.
class proxy_session
{
public:
    using tcp = boost::asio::ip::tcp;

    proxy_session(proxy_state& state, tcp::socket client);

    boost::asio::awaitable<void>
    run();

private:
    struct upstream_connection
    {
        tcp::socket socket;
        boost::beast::flat_buffer buffer;
        tcp::endpoint endpoint;
        std::size_t uses = 0;
    };

    /// How relaying the rest of a request body upstream ended.
    struct upload_result
    {
        enum class kind { done, client_gone, client_error, upstream_stopped };
        kind what = kind::done;
        boost::system::error_code ec;
    };

    /// Handles one request; returns whether the client connection stays open.
    boost::asio::awaitable<bool>
    handle(http_kit::received_request& req);

    /// Resolves, checks addresses and connects. Returns false after answering the client
    /// (denial or dial failure).
    boost::asio::awaitable<bool>
    connect_upstream(verdict& v, upstream_request_head& head, recorded_request& rec,
        std::size_t index, bool keep_alive, bool& keep);

    /// Appends the `docker sandbox network log` entry for one allow/deny decision.
    void
    log_decision(const recorded_request& rec, const upstream_request_head& head,
        const verdict& v, bool allowed);

    boost::asio::awaitable<bool>
    forward(http_kit::received_request& req, upstream_request_head& head, verdict& v,
        recorded_request& rec, std::size_t index);

    /// Relays the body bytes after the prefix to the upstream, chunk-framed if `chunked`, one
    /// relay buffer at a time (the upstream's pace throttles the client). Stops early when the
    /// upstream answers or closes first.
    boost::asio::awaitable<upload_result>
    upload(bool chunked, recorded_request& rec);

    /// Reads and drops the rest of the request body, so the connection can carry the next
    /// request after a reply that did not need the body. False (recorded as the outcome) if
    /// the client failed.
    boost::asio::awaitable<bool>
    drain_body(recorded_request& rec, std::size_t index);

    /// After a reply sent before the client finished its body: stop sending, take what the
    /// client still sends for a short while, so closing does not reset the reply away (Go's
    /// server does the same).
    boost::asio::awaitable<void>
    linger_client();

    boost::asio::awaitable<void>
    tunnel();
    /// connect_mode::intercept: TLS to the client with the proxy's CA, each request injected,
    /// logged and sent upstream over TLS (tls_intercept.cpp).
    boost::asio::awaitable<void>
    intercept(const upstream_request_head& head, const verdict& v);
    /// Waits for the client to leave while the upstream has not answered; closes the upstream
    /// socket then and sets client_gone_. Cancellation ends it quietly.
    boost::asio::awaitable<void>
    watch_client();

    boost::asio::awaitable<boost::system::error_code>
    dial(const tcp::endpoint& ep);

    boost::asio::awaitable<bool>
    reply(std::string bytes);

    std::string
    upstream_error_bytes(const std::string& error, bool close) const;

    void
    close_upstream();

    void
    reset_client();

    proxy_state& state_;
    tcp::socket client_;
    client_reader reader_;
    std::optional<upstream_connection> upstream_;
    std::size_t id_ = 0;
    std::size_t served_ = 0;
    std::string closed_by_ = "client";
    bool client_gone_ = false;
};

} // namespace fakes::sandbox_proxy
