#include "proxy_session.hpp"

#include "deny_reply.hpp"
#include "network_log.hpp"

#include "http_kit/http_io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <variant>
#include <vector>

#include <openssl/evp.h>
#include <sys/socket.h>
#include <memory>

namespace fakes::sandbox_proxy {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Request bodies up to this size are read whole before forwarding (and keep their exact
// framing as before); larger ones stream through a buffer of this size.
constexpr std::size_t relay_size = 64 * 1024;

// How long a client that is still sending a body we no longer read gets to see our reply
// before the connection is closed (Go's server waits 500 ms as well).
constexpr std::chrono::milliseconds linger_time{500};

/// A pooled upstream connection is usable when it has neither closed nor sent anything
/// unasked; checked before reuse because a streamed body cannot be sent a second time.
bool
idle_and_open(tcp::socket& s)
{
    char byte;
    auto const n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/// A timer that closes a socket when it fires, so a pending read or connect fails; disarm()
/// tells whether it fired. Handlers check a shared flag, never a stale socket.
class deadline
{
public:
    explicit deadline(const net::any_io_executor& ex)
        : timer_(ex)
    {
    }

    void
    arm(std::chrono::milliseconds d, tcp::socket& s)
    {
        armed_ = std::make_shared<bool>(true);
        fired_ = std::make_shared<bool>(false);
        timer_.expires_after(d);
        timer_.async_wait([armed = armed_, fired = fired_, &s](error_code ec) {
            if(!ec && *armed)
            {
                *fired = true;
                error_code ignored;
                s.close(ignored);
            }
        });
    }

    bool
    disarm()
    {
        if(!armed_)
            return false;
        *armed_ = false;
        timer_.cancel();
        bool const fired = *fired_;
        armed_.reset();
        return fired;
    }

private:
    net::steady_timer timer_;
    std::shared_ptr<bool> armed_;
    std::shared_ptr<bool> fired_;
};

std::string
endpoint_text(const tcp::endpoint& ep)
{
    auto const a = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

// The wording of Go's dialer, which the real proxy is written in.
std::string
dial_error(const tcp::endpoint& ep, const error_code& ec)
{
    std::string what = ec.message();
    if(ec == net::error::connection_refused)
        what = "connect: connection refused";
    else if(ec == net::error::timed_out)
        what = "i/o timeout";
    return "dial tcp " + endpoint_text(ep) + ": " + what;
}

bool
has_header(const header_list& h, std::string_view name)
{
    for(auto const& f : h)
        if(http_kit::iequals(f.first, name))
            return true;
    return false;
}

// Whether a Proxy-Authorization value carries `user:password` as Basic credentials.
bool
login_matches(std::string_view header, std::string const& login)
{
    std::string expected(4 * ((login.size() + 2) / 3) + 1, '\0');
    auto const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()),
        reinterpret_cast<unsigned char const*>(login.data()), static_cast<int>(login.size()));
    expected.resize(static_cast<std::size_t>(n));
    constexpr std::string_view scheme = "Basic ";
    return header.size() == scheme.size() + expected.size() &&
        http_kit::iequals(header.substr(0, scheme.size()), scheme) && header.substr(scheme.size()) == expected;
}

std::string
login_reply()
{
    std::string const body = "Proxy login required\n";
    header_list h{{"Content-Type", "text/plain; charset=utf-8"}, {"Date", http_kit::http_date()},
        {"Proxy-Authenticate", "Basic realm=\"sandbox proxy\""}, {"Content-Length", std::to_string(body.size())}};
    return http_kit::response_head(407, h) + body;
}

std::string
text_reply(unsigned status, std::string body, bool close)
{
    header_list h{{"Content-Type", "text/plain; charset=utf-8"},
        {"X-Content-Type-Options", "nosniff"}, {"Date", http_kit::http_date()},
        {"Content-Length", std::to_string(body.size())}};
    if(close)
        h.emplace_back("Connection", "close");
    return http_kit::response_head(static_cast<int>(status), h) + body;
}

net::awaitable<void>
pump(tcp::socket& from, tcp::socket& to)
{
    std::array<char, 16384> buf;
    for(;;)
    {
        auto [ec, n] = co_await from.async_read_some(net::buffer(buf), use_tuple);
        if(n > 0)
        {
            auto [wec, wn] = co_await net::async_write(to, net::buffer(buf.data(), n), use_tuple);
            if(wec)
                ec = wec;
        }
        if(ec)
        {
            error_code ignored;
            if(ec == net::error::eof)
                to.shutdown(tcp::socket::shutdown_send, ignored); // pass the half-close on
            else
            {
                from.close(ignored);
                to.close(ignored);
            }
            co_return;
        }
    }
}

} // namespace

proxy_session::proxy_session(proxy_state& state, tcp::socket client)
    : state_(state)
    , client_(std::move(client))
    , reader_(state.options().max_request_body)
{
}

net::awaitable<void>
proxy_session::run()
{
    id_ = state_.open_connection();
    deadline idle(co_await net::this_coro::executor);
    for(;;)
    {
        auto const faults = state_.faults();
        if(faults.close_after_requests && served_ >= faults.close_after_requests)
        {
            // Silent close of a pooled connection: the stale keep-alive race.
            closed_by_ = "fault:close_after_requests";
            break;
        }
        if(faults.idle_close.count() > 0)
            idle.arm(faults.idle_close, client_);
        http_kit::received_request req;
        auto ec = co_await reader_.read(client_, req, relay_size);
        if(idle.disarm())
        {
            closed_by_ = "fault:idle_close";
            break;
        }
        if(ec)
        {
            if(client_reader::end_of_stream(ec) || !client_.is_open() ||
               ec.category() != http::make_error_code(http::error::end_of_stream).category())
            {
                closed_by_ = "client";
                break;
            }
            // Unparsable request: answer and close, as a strict proxy does.
            unsigned const status = client_reader::body_too_large(ec) ? 413 : 400;
            recorded_request rec;
            rec.connection = id_;
            rec.sequence = served_ + 1;
            rec.received_at = std::chrono::steady_clock::now();
            rec.reason = "bad_request";
            rec.status = status;
            rec.error = ec.message();
            rec.complete = true;
            state_.add_request(rec);
            state_.count_request(id_);
            co_await reply(text_reply(status, "Bad Request: " + ec.message() + "\n", true));
            closed_by_ = "proxy";
            break;
        }
        state_.count_request(id_);
        bool const keep = co_await handle(req);
        ++served_;
        if(!keep)
            break;
    }
    close_upstream();
    error_code ignored;
    client_.shutdown(tcp::socket::shutdown_both, ignored);
    client_.close(ignored);
    state_.close_connection(id_, closed_by_);
}

net::awaitable<bool>
proxy_session::handle(http_kit::received_request& req)
{
    recorded_request rec;
    rec.connection = id_;
    rec.sequence = served_ + 1;
    rec.received_at = std::chrono::steady_clock::now();
    rec.method = req.method;
    rec.target = req.target;
    rec.version = req.version;
    rec.headers = req.headers;
    rec.body_size = req.body.size();
    auto const index = state_.add_request(rec);

    if(auto const& login = state_.options().login;
        !login.empty() && !login_matches(req.header("Proxy-Authorization"), login))
    {
        if(!co_await drain_body(rec, index))
            co_return false;
        rec.body_size = reader_.body_received();
        rec.reason = "login_required";
        rec.status = 407;
        rec.complete = true;
        state_.update_request(index, rec);
        if(!co_await reply(login_reply()))
            co_return false;
        co_return req.keep_alive;
    }

    auto rw = rewrite_request({req.method, req.target, req.version, req.headers});
    if(!rw.head)
    {
        if(!co_await drain_body(rec, index))
            co_return false;
        rec.body_size = reader_.body_received();
        rec.reason = "bad_request";
        rec.status = rw.status;
        rec.error = rw.error;
        rec.complete = true;
        state_.update_request(index, rec);
        co_await reply(text_reply(rw.status, "Bad Request: " + rw.error + "\n", true));
        closed_by_ = "proxy";
        co_return false;
    }
    auto& head = *rw.head;
    rec.host_replaced = head.host_replaced;

    // Step 1: the rules against the host named in the request.
    auto pol = state_.current_policy();
    verdict v = pol->check_host(head.host, head.port);
    rewrite_destination(head, v.host);

    bool keep = req.keep_alive;
    auto log = [&](bool allowed) { log_decision(rec, head, v, allowed); };

    if(!v.allowed)
    {
        if(!co_await drain_body(rec, index))
            co_return false;
        rec.body_size = reader_.body_received();
        rec.reason = to_string(v.reason);
        rec.rule = v.rule;
        auto const style = state_.options().deny;
        rec.status = deny_status(style);
        rec.error = "denied by network policy";
        rec.complete = true;
        state_.update_request(index, rec);
        log(false);
        if(style == deny_style::close)
            co_return false; // the denial shape that says nothing: the client sees only a FIN
        if(!co_await reply(deny_reply(style, v, "", http_kit::http_date())))
            co_return false;
        co_return keep;
    }

    // Step 2: resolve, check each address unless explicitly allowed, connect.
    if(!co_await connect_upstream(v, head, rec, index, req.keep_alive, keep))
    {
        co_return keep;
    }
    rec.allowed = true;
    rec.reason = to_string(v.reason);
    rec.rule = v.rule;
    rec.bypass = v.bypass;
    log(true);

    if(head.is_connect)
    {
        if(!co_await drain_body(rec, index))
            co_return false;
        rec.forwarded = true;
        rec.status = 200;
        state_.update_request(index, rec);
        if(!co_await reply("HTTP/1.1 200 Connection established\r\n\r\n"))
            co_return false;
        // Bypassed hosts are never intercepted (no MITM), as in the real proxy.
        if(state_.ca() && !v.bypass)
            co_await intercept(head, v);
        else
            co_await tunnel();
        rec.complete = true;
        state_.update_request(index, rec);
        closed_by_ = "client";
        co_return false;
    }
    co_return co_await forward(req, head, v, rec, index);
}

net::awaitable<bool>
proxy_session::connect_upstream(verdict& v, upstream_request_head& head, recorded_request& rec,
    std::size_t index, bool keep_alive, bool& keep)
{
    auto const& opts = state_.options();
    auto pol = state_.current_policy();
    auto const endpoints = state_.names().resolve(v.host, head.port);
    std::string last_error = "dial tcp: lookup " + v.host + ": no such host";
    for(auto const& ep : endpoints)
    {
        tcp::endpoint const target{ep.address, ep.port};
        rec.address = endpoint_text(target);
        // Overrides stand for public addresses; localhost is always what it is.
        bool const check = !ep.overridden || opts.cidr_check_overrides || v.host == "localhost";
        if(check)
        {
            auto const checked = pol->check_address(v, ep.address);
            if(!checked.allowed)
            {
                // The first blocked address ends the attempt (the legacy `::1` trap).
                if(!co_await drain_body(rec, index))
                {
                    keep = false;
                    co_return false;
                }
                rec.body_size = reader_.body_received();
                v = checked;
                rec.reason = to_string(v.reason);
                rec.rule = v.rule;
                rec.status = deny_status(opts.deny);
                rec.error = "denied by network policy";
                rec.complete = true;
                state_.update_request(index, rec);
                log_decision(rec, head, v, false);
                if(opts.deny == deny_style::close)
                {
                    keep = false;
                    co_return false;
                }
                // Answer even when the client asked to close; keep-alive only if both agree.
                bool const sent = co_await reply(
                    deny_reply(opts.deny, v, rec.address, http_kit::http_date()));
                keep = keep_alive && sent;
                co_return false;
            }
            v = checked;
        }
        if(!head.is_connect && upstream_ && upstream_->endpoint == target &&
           upstream_->socket.is_open() && idle_and_open(upstream_->socket))
        {
            rec.upstream_reused = true;
            co_return true;
        }
        close_upstream();
        auto ec = co_await dial(target);
        if(!ec)
            co_return true;
        last_error = dial_error(target, ec);
    }

    // Allowed, but nothing answered.
    if(!co_await drain_body(rec, index))
    {
        keep = false;
        co_return false;
    }
    rec.body_size = reader_.body_received();
    rec.allowed = true;
    rec.reason = to_string(v.reason);
    rec.rule = v.rule;
    rec.status = opts.upstream_error.status;
    rec.error = last_error;
    rec.complete = true;
    state_.update_request(index, rec);
    log_decision(rec, head, v, true);
    bool const sent = co_await reply(upstream_error_bytes(last_error, !keep_alive));
    keep = keep_alive && sent;
    co_return false;
}

void
proxy_session::log_decision(const recorded_request& rec, const upstream_request_head& head,
    const verdict& v, bool allowed)
{
    network_log_entry e;
    e.timestamp = std::chrono::system_clock::now();
    e.method = rec.method;
    e.url = head.is_connect ? network_log::connect_url(head.host, head.port) : head.url;
    e.allowed = allowed;
    e.reason = to_string(v.reason);
    e.rule = v.rule;
    e.address = rec.address;
    state_.log(std::move(e));
}

net::awaitable<bool>
proxy_session::forward(http_kit::received_request& req, upstream_request_head& head,
    verdict& v, recorded_request& rec, std::size_t index)
{
    auto const faults = state_.faults();
    if(!v.bypass)
        if(auto provider = state_.keys().inject(v.host, head.headers))
            rec.injected = *provider;
    // The body goes out without waiting, so an Expect: 100-continue would only confuse the
    // upstream.
    std::erase_if(head.headers, [](auto const& h) { return http_kit::iequals(h.first, "expect"); });
    // A body held whole goes with its length, as before. A longer one streams: a client length
    // is passed on, a chunked one stays chunked (Go's transport sends an unknown length so).
    bool const whole = reader_.body_done();
    bool const chunked_up = !whole && !reader_.content_length();
    if(has_header(req.headers, "content-length") || has_header(req.headers, "transfer-encoding"))
    {
        if(chunked_up)
            head.headers.emplace_back("Transfer-Encoding", "chunked");
        else
            head.headers.emplace_back("Content-Length",
                std::to_string(whole ? req.body.size() : *reader_.content_length()));
    }

    if(faults.latency.count() > 0)
    {
        net::steady_timer t(co_await net::this_coro::executor, faults.latency);
        co_await t.async_wait(use_tuple);
    }

    std::string out = head.method + " " + head.target + " HTTP/1.1\r\n";
    for(auto const& [name, value] : head.headers)
        out += name + ": " + value + "\r\n";
    out += "\r\n";
    if(!chunked_up)
        out += req.body;
    else if(!req.body.empty())
        http_kit::append_chunk(out, req.body);

    rec.forwarded = true;
    rec.upstream_target = head.target;
    rec.upstream_headers = head.headers;
    rec.upstream_body_size = req.body.size();
    state_.update_request(index, rec);

    using parser_type = http::response_parser<http::buffer_body>;
    std::optional<parser_type> p;
    tcp::endpoint const target = upstream_->endpoint;
    // `out` can be sent again on a fresh connection until body bytes past it were relayed.
    bool replayable = true;
    // The client's body was not read to its end (the upstream answered or failed first): the
    // client connection cannot carry another request.
    bool body_cut = false;
    error_code upload_error;
    for(int attempt = 0;; ++attempt)
    {
        p.emplace();
        p->body_limit(boost::none);
        p->header_limit(64 * 1024);
        if(req.method == "HEAD")
            p->skip(true);
        auto [wec, wn] = co_await net::async_write(upstream_->socket, net::buffer(out), use_tuple);
        error_code ec = wec;
        bool client_left = false;
        if(!ec && !reader_.body_done())
        {
            replayable = false;
            auto const up = co_await upload(chunked_up, rec);
            rec.body_size = reader_.body_received();
            using kind = upload_result::kind;
            if(up.what == kind::client_gone)
            {
                close_upstream();
                rec.error = "client disconnected during the request body";
                rec.complete = true;
                state_.update_request(index, rec);
                closed_by_ = "client";
                co_return false;
            }
            if(up.what == kind::client_error)
            {
                close_upstream();
                unsigned const status = client_reader::body_too_large(up.ec) ? 413 : 400;
                rec.status = status;
                rec.error = up.ec.message();
                rec.complete = true;
                state_.update_request(index, rec);
                if(co_await reply(text_reply(status, "Bad Request: " + up.ec.message() + "\n",
                       true)))
                    co_await linger_client();
                closed_by_ = "proxy";
                co_return false;
            }
            if(up.what == kind::upstream_stopped)
            {
                body_cut = true;
                upload_error = up.ec;
            }
            state_.update_request(index, rec);
        }
        if(!ec)
        {
            // While the upstream thinks (DMR loading a model), watch the client: if it leaves,
            // abort the upstream request, as Squid and Go's httputil.ReverseProxy do.
            using namespace net::experimental::awaitable_operators;
            auto read_head = [&]() -> net::awaitable<error_code> {
                auto [hec, hn] = co_await http::async_read_header(
                    upstream_->socket, upstream_->buffer, *p, use_tuple);
                co_return hec;
            };
            client_gone_ = false;
            auto r = co_await (read_head() || watch_client());
            // A seen disconnect wins even when the head arrived at the same moment. The watch
            // finishes first only when it saw the client leave.
            client_left = client_gone_;
            if(!client_left)
                ec = std::get<0>(r);
        }
        if(client_left)
        {
            close_upstream();
            rec.error = "client disconnected before the response head";
            rec.complete = true;
            state_.update_request(index, rec);
            closed_by_ = "client";
            co_return false;
        }
        if(!ec)
            break;
        // A pooled upstream connection the server closed meanwhile: one fresh retry, the way
        // any sane proxy handles its own stale connections (only while the body can be sent
        // again).
        bool const stale = replayable && rec.upstream_reused && attempt == 0 && !p->got_some();
        close_upstream();
        if(stale)
        {
            rec.upstream_reused = false;
            if(auto dec = co_await dial(target); !dec)
                continue;
            else
                ec = dec;
        }
        rec.status = state_.options().upstream_error.status;
        if(stale)
            rec.error = dial_error(target, ec);
        else if(upload_error)
            rec.error = "write tcp " + endpoint_text(target) + ": " + upload_error.message();
        else
            rec.error = "read tcp " + endpoint_text(target) + ": " + ec.message();
        rec.complete = true;
        state_.update_request(index, rec);
        bool const close = !req.keep_alive || body_cut;
        bool const ok = co_await reply(upstream_error_bytes(rec.error, close));
        if(body_cut && ok)
            co_await linger_client();
        co_return ok && !close;
    }
    ++upstream_->uses;

    auto& res = p->get();
    unsigned const status = res.result_int();
    bool const no_body = req.method == "HEAD" || status / 100 == 1 || status == 204 || status == 304;

    header_list received;
    for(auto const& f : res)
        received.emplace_back(std::string(f.name_string()), std::string(f.value()));
    header_list fields = end_to_end_fields(received);

    auto const now_faults = state_.faults();
    bool close_after = !req.keep_alive || body_cut;
    bool const fault_close = now_faults.close_after_requests &&
        served_ + 1 >= now_faults.close_after_requests;
    if(fault_close && now_faults.announce_close)
        close_after = true;

    enum class framing { none, length, chunked, until_close };
    framing mode = framing::none;
    std::string buffered;
    std::array<char, 16384> buf;

    auto read_some = [&]() -> net::awaitable<std::pair<error_code, std::size_t>> {
        p->get().body().data = buf.data();
        p->get().body().size = buf.size();
        auto [ec, n] = co_await http::async_read_some(
            upstream_->socket, upstream_->buffer, *p, use_tuple);
        if(ec == http::error::need_buffer)
            ec = {};
        co_return std::pair{ec, buf.size() - p->get().body().size};
    };

    if(no_body)
    {
        if(auto cl = res.find(http::field::content_length); cl != res.end() && status != 204)
            fields.emplace_back("Content-Length", std::string(cl->value()));
    }
    else if(now_faults.buffer_responses)
    {
        // A badly behaved proxy: nothing reaches the client until the upstream is done.
        while(!p->is_done())
        {
            auto [ec, got] = co_await read_some();
            buffered.append(buf.data(), got);
            if(ec)
            {
                close_upstream();
                rec.status = state_.options().upstream_error.status;
                rec.error = "read tcp " + endpoint_text(target) + ": " + ec.message();
                rec.complete = true;
                state_.update_request(index, rec);
                co_await reply(upstream_error_bytes(rec.error, true));
                closed_by_ = "proxy";
                co_return false;
            }
        }
        mode = framing::length;
        fields.emplace_back("Content-Length", std::to_string(buffered.size()));
    }
    else if(auto cl = p->content_length())
    {
        mode = framing::length;
        fields.emplace_back("Content-Length", std::to_string(*cl));
    }
    else if(req.version >= 11)
    {
        mode = framing::chunked;
        fields.emplace_back("Transfer-Encoding", "chunked");
    }
    else
    {
        mode = framing::until_close;
        close_after = true;
    }
    if(close_after)
        fields.emplace_back("Connection", "close");

    rec.status = status;
    state_.update_request(index, rec);
    std::string out_head = http_kit::response_head(static_cast<int>(status), fields);
    std::uint64_t sent = 0;
    error_code first_ec;
    if(mode == framing::length && !now_faults.buffer_responses && !now_faults.reset_after_bytes &&
        !p->is_done() && upstream_->buffer.size() > 0)
    {
        // Body bytes that came with the head go out in the same write, as the buffered writers of
        // real proxies send them: a head written alone costs the next hop a wake-up and a write
        // of its own. Only what is already buffered: nothing is waited for before the head.
        auto [ec, got] = co_await read_some();
        out_head.append(buf.data(), got);
        sent = got;
        first_ec = ec;
    }
    if(!co_await reply(std::move(out_head)))
    {
        close_upstream();
        co_return false;
    }

    // Writes body bytes with the reset fault applied; false when the client is gone or reset.
    auto send_body = [&](std::string_view data) -> net::awaitable<bool> {
        bool reset = false;
        if(auto limit = now_faults.reset_after_bytes; limit && sent + data.size() > *limit)
        {
            data = data.substr(0, static_cast<std::size_t>(*limit - sent));
            reset = true;
        }
        if(!data.empty())
        {
            auto bytes = mode == framing::chunked ? http_kit::chunk(data) : std::string(data);
            if(!co_await reply(std::move(bytes)))
                co_return false;
            sent += data.size();
        }
        if(reset)
        {
            reset_client();
            closed_by_ = "fault:reset_after_bytes";
            rec.error = "fault: reset after " + std::to_string(sent) + " body bytes";
            co_return false;
        }
        co_return true;
    };

    bool ok = true;
    if(first_ec)
    {
        rec.error = "upstream failed mid-response: " + first_ec.message();
        closed_by_ = "proxy";
        ok = false;
    }
    if(mode == framing::length && now_faults.buffer_responses)
        ok = co_await send_body(buffered);
    else if(mode != framing::none)
    {
        while(ok && !p->is_done())
        {
            auto [ec, got] = co_await read_some();
            if(got > 0)
                ok = co_await send_body(std::string_view(buf.data(), got));
            if(ec && ok)
            {
                // Upstream cut mid-response: the client sees the cut too (no last chunk).
                rec.error = "upstream failed mid-response: " + ec.message();
                closed_by_ = "proxy";
                ok = false;
            }
        }
        if(ok && mode == framing::chunked)
            ok = co_await reply(std::string(http_kit::last_chunk));
    }
    rec.response_body_bytes = sent;
    rec.complete = true;
    state_.update_request(index, rec);
    if(!ok || !p->is_done() || !p->keep_alive() || body_cut)
        close_upstream();
    if(!ok)
        co_return false;
    if(body_cut)
    {
        co_await linger_client();
        closed_by_ = "proxy";
        co_return false;
    }
    if(close_after && fault_close)
        closed_by_ = "fault:close_after_requests";
    else if(close_after)
        closed_by_ = "proxy";
    co_return !close_after;
}

net::awaitable<proxy_session::upload_result>
proxy_session::upload(bool chunked, recorded_request& rec)
{
    using namespace net::experimental::awaitable_operators;
    using kind = upload_result::kind;
    upload_result result;
    bool settled = false;
    // The first branch to finish decides; the other one then only sees its cancellation.
    auto settle = [&](kind what, error_code ec) {
        if(!settled)
            result = {what, ec};
        settled = true;
    };
    auto pump = [&]() -> net::awaitable<void> {
        std::vector<char> relay(relay_size);
        while(!reader_.body_done())
        {
            auto [ec, n] = co_await reader_.read_body(client_, relay);
            if(n > 0)
            {
                std::array<char, 20> size_line{};
                std::size_t size_len = 0;
                if(chunked)
                    size_len = static_cast<std::size_t>(
                        std::snprintf(size_line.data(), size_line.size(), "%zx\r\n", n));
                std::array<net::const_buffer, 3> pieces{net::buffer(size_line.data(), size_len),
                    net::buffer(relay.data(), n), net::buffer("\r\n", chunked ? 2 : 0)};
                auto [wec, wn] = co_await net::async_write(upstream_->socket, pieces, use_tuple);
                if(wec)
                {
                    settle(kind::upstream_stopped, wec);
                    co_return;
                }
                rec.upstream_body_size += n;
            }
            if(ec)
            {
                settle(client_reader::cut_mid_body(ec) || !client_.is_open() ? kind::client_gone
                                                                            : kind::client_error,
                    ec);
                co_return;
            }
        }
        if(chunked)
        {
            auto [wec, wn] = co_await net::async_write(upstream_->socket,
                net::buffer(http_kit::last_chunk.data(), http_kit::last_chunk.size()), use_tuple);
            if(wec)
            {
                settle(kind::upstream_stopped, wec);
                co_return;
            }
        }
        settle(kind::done, {});
    };
    // An upstream that answers (say 413) or closes before taking the whole body: stop there
    // and let the caller read its answer, instead of pushing into a peer that stopped reading.
    auto upstream_spoke = [&]() -> net::awaitable<void> {
        auto [ec] = co_await upstream_->socket.async_wait(tcp::socket::wait_read, use_tuple);
        if(ec != net::error::operation_aborted)
            settle(kind::upstream_stopped, {});
    };
    co_await (pump() || upstream_spoke());
    co_return result;
}

net::awaitable<bool>
proxy_session::drain_body(recorded_request& rec, std::size_t index)
{
    std::vector<char> sink(relay_size);
    while(!reader_.body_done())
    {
        auto [ec, n] = co_await reader_.read_body(client_, sink);
        if(ec)
        {
            // Nothing to answer on a connection whose request cannot be read to its end.
            rec.body_size = reader_.body_received();
            rec.error = client_reader::cut_mid_body(ec)
                ? "client disconnected during the request body"
                : "unreadable request body: " + ec.message();
            rec.complete = true;
            state_.update_request(index, rec);
            closed_by_ = client_reader::cut_mid_body(ec) ? "client" : "proxy";
            co_return false;
        }
    }
    co_return true;
}

net::awaitable<void>
proxy_session::linger_client()
{
    error_code ignored;
    client_.shutdown(tcp::socket::shutdown_send, ignored);
    deadline d(co_await net::this_coro::executor);
    d.arm(linger_time, client_);
    std::vector<char> sink(relay_size);
    for(;;)
    {
        auto [ec, n] = co_await client_.async_read_some(net::buffer(sink), use_tuple);
        if(ec)
            break;
    }
    d.disarm();
}

net::awaitable<void>
proxy_session::tunnel()
{
    using namespace net::experimental::awaitable_operators;
    // Clients wait for the 200 before sending, so nothing is buffered here.
    co_await (pump(client_, upstream_->socket) && pump(upstream_->socket, client_));
    close_upstream();
}

net::awaitable<void>
proxy_session::watch_client()
{
    // Completes when the client has gone (EOF or error) or when the caller's || cancels it
    // because the response head came first. async_wait consumes nothing, so a pipelined
    // next request stays in the socket.
    for(;;)
    {
        auto [ec] = co_await client_.async_wait(tcp::socket::wait_read, use_tuple);
        if(ec == net::error::operation_aborted)
            co_return; // the response head came first
        if(!ec)
        {
            char byte;
            auto const n = ::recv(client_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                continue;
            if(n > 0)
            {
                // Pipelined bytes, not a disconnect: they wait for the next request. Sleep
                // until cancelled.
                net::steady_timer forever(co_await net::this_coro::executor,
                    std::chrono::steady_clock::time_point::max());
                co_await forever.async_wait(use_tuple);
                co_return;
            }
        }
        break;
    }
    // The client is gone: make the pending upstream read fail now. Only close the socket;
    // the read still refers to it, and the caller releases it afterwards.
    client_gone_ = true;
    error_code ignored;
    if(upstream_)
    {
        upstream_->socket.shutdown(tcp::socket::shutdown_both, ignored);
        upstream_->socket.close(ignored);
    }
}

net::awaitable<error_code>
proxy_session::dial(const tcp::endpoint& ep)
{
    auto ex = co_await net::this_coro::executor;
    upstream_.emplace(upstream_connection{tcp::socket(ex), {}, ep, 0});
    // Beast reads at most the buffer's free capacity: without room, a large response body
    // would come in 512-byte reads.
    upstream_->buffer.reserve(64 * 1024);
    deadline d(ex);
    d.arm(state_.options().connect_timeout, upstream_->socket);
    auto [ec] = co_await upstream_->socket.async_connect(ep, use_tuple);
    if(d.disarm() && ec)
        ec = net::error::timed_out;
    if(ec)
    {
        upstream_.reset();
        co_return ec;
    }
    error_code ignored;
    upstream_->socket.set_option(tcp::no_delay(true), ignored);
    co_return error_code{};
}

net::awaitable<bool>
proxy_session::reply(std::string bytes)
{
    auto ec = co_await http_kit::write_all(client_, bytes);
    co_return !ec;
}

std::string
proxy_session::upstream_error_bytes(const std::string& error, bool close) const
{
    auto const& e = state_.options().upstream_error;
    std::string body = e.body;
    if(auto pos = body.find("{error}"); pos != std::string::npos)
        body.replace(pos, 7, error);
    header_list h{{"Content-Type", e.content_type}, {"X-Content-Type-Options", "nosniff"},
        {"Date", http_kit::http_date()}, {"Content-Length", std::to_string(body.size())}};
    if(close)
        h.emplace_back("Connection", "close");
    return http_kit::response_head(static_cast<int>(e.status), h) + body;
}

void
proxy_session::close_upstream()
{
    if(!upstream_)
        return;
    error_code ignored;
    upstream_->socket.shutdown(tcp::socket::shutdown_both, ignored);
    upstream_->socket.close(ignored);
    upstream_.reset();
}

void
proxy_session::reset_client()
{
    error_code ignored;
    client_.set_option(net::socket_base::linger(true, 0), ignored);
    client_.close(ignored);
    close_upstream();
}

} // namespace fakes::sandbox_proxy
