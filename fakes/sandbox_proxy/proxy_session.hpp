#pragma once

#include "proxy_state.hpp"
#include "request_rewrite.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <optional>

namespace fakes::http_kit {
struct received_request;
class request_reader;
}

namespace fakes::sandbox_proxy {

/// One client connection of the fake proxy: reads requests, applies the policy, forwards
/// absolute-form `http://` requests (keep-alive both sides, body relayed as it arrives) or
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

    /// Handles one request; returns whether the client connection stays open.
    boost::asio::awaitable<bool>
    handle(http_kit::received_request& req, http_kit::request_reader& reader);

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

    boost::asio::awaitable<void>
    tunnel(http_kit::request_reader& reader);
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
    std::optional<upstream_connection> upstream_;
    std::size_t id_ = 0;
    std::size_t served_ = 0;
    std::string closed_by_ = "client";
    bool client_gone_ = false;
};

} // namespace fakes::sandbox_proxy
