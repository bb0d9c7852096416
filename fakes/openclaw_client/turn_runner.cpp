#include "turn_runner.hpp"

#include "chat_stream.hpp"
#include "sse_reader.hpp"
#include "user_messages.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <charconv>
#include <exception>

namespace fakes::openclaw {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct connection
{
    explicit connection(net::any_io_executor ex) : stream(std::move(ex)) {}

    void close()
    {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.socket().close(ignored);
        buffer.clear();
        open = false;
    }

    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bool open = false;
};

error_class
classify_io(beast::error_code const& ec)
{
    if (ec == beast::error::timeout)
        return error_class::timed_out;
    if (ec == http::error::partial_message || ec == http::error::end_of_stream ||
        ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::broken_pipe || ec == net::error::connection_aborted)
        return error_class::connection_reset;
    // Any other parser complaint means the bytes were not valid HTTP.
    if (ec.category() == http::make_error_code(http::error::bad_version).category())
        return error_class::bad_response;
    return error_class::connection_reset;
}

std::int64_t
micros_since(clock_type::time_point t0)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count();
}

// The send time fake-model-runner puts in a comment before an event: " t=<unix micros>".
std::int64_t
sent_stamp(std::string_view comment)
{
    while (!comment.empty() && comment.front() == ' ')
        comment.remove_prefix(1);
    if (!comment.starts_with("t="))
        return -1;
    comment.remove_prefix(2);
    std::int64_t v = -1;
    auto const [end, ec] = std::from_chars(comment.data(), comment.data() + comment.size(), v);
    return ec == std::errc() ? v : -1;
}

// Retry-After as delta-seconds; an HTTP-date or garbage is ignored (-1).
std::int64_t
retry_after_seconds(beast::string_view v)
{
    std::int64_t n = -1;
    auto const [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc() && end == v.data() + v.size() && n >= 0 ? n : -1;
}

std::int64_t
unix_micros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
}

net::awaitable<void>
one_attempt(connection& c, built_request const& req, client_options const& o, turn_result& r)
{
    auto const t0 = clock_type::now();
    r.reused_connection = c.open;

    if (!c.open)
    {
        tcp::resolver resolver(co_await net::this_coro::executor);
        auto [rec, endpoints] = co_await resolver.async_resolve(req.connect_host, req.connect_port, use_tuple);
        if (rec)
        {
            r.error = error_class::connection_refused;
            r.detail = "resolve " + req.connect_host + ": " + rec.message();
            co_return;
        }
        c.stream.expires_after(o.connect_timeout);
        auto [cec, ep] = co_await c.stream.async_connect(endpoints, use_tuple);
        if (cec)
        {
            c.close();
            r.error = cec == beast::error::timeout ? error_class::timed_out : error_class::connection_refused;
            r.detail = "connect " + req.connect_host + ":" + req.connect_port + ": " + cec.message();
            co_return;
        }
        beast::error_code ignored;
        c.stream.socket().set_option(tcp::no_delay(true), ignored);
        c.buffer.clear();
        c.open = true;
    }

    http::request<http::string_body> msg;
    msg.method_string(req.method);
    msg.target(req.target);
    msg.version(11);
    for (auto const& [name, value] : req.headers)
        msg.insert(name, value);  // Beast keeps the spelling and the order
    msg.body() = req.body;

    c.stream.expires_after(o.idle_timeout);
    auto [wec, written] = co_await http::async_write(c.stream, msg, use_tuple);
    if (wec)
    {
        c.close();
        r.error = classify_io(wec);
        r.detail = "write: " + wec.message();
        co_return;
    }

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // SSE streams may be long
    c.stream.expires_after(o.idle_timeout);
    auto [hec, hn] = co_await http::async_read_header(c.stream, c.buffer, parser, use_tuple);
    if (hec)
    {
        c.close();
        // No head before the deadline: OpenClaw's agent deadline ends the turn.
        r.error = hec == beast::error::timeout ? error_class::agent_timeout : classify_io(hec);
        r.detail = "reading response header: " + hec.message();
        co_return;
    }
    r.status = parser.get().result_int();
    r.retry_after_s = retry_after_seconds(parser.get()[http::field::retry_after]);
    r.ttfb_us = micros_since(t0);
    bool const streaming = r.status == 200;
    bool const event_stream =
        parser.get()[http::field::content_type].find("text/event-stream") != beast::string_view::npos;

    sse_reader sse;
    chat_stream chat;
    std::vector<sse_event> events;
    std::string body_head;
    std::size_t body_bytes = 0;
    char buf[16 * 1024];
    beast::error_code failure;
    std::int64_t announced = -1;  // the last " t=" stamp not yet matched to an event

    // `[DONE]` ends the turn at once (measured: even with the response left open). The end of
    // the response is still read if it follows within a moment, so the connection can be reused.
    constexpr std::chrono::milliseconds after_done_grace{200};
    while (!parser.is_done())
    {
        parser.get().body().data = buf;
        parser.get().body().size = sizeof(buf);
        c.stream.expires_after(chat.done() ? after_done_grace : o.idle_timeout);
        auto [ec, n] = co_await http::async_read_some(c.stream, c.buffer, parser, use_tuple);
        if (ec == http::error::need_buffer)
            ec = {};
        if (ec && chat.done())
            break;  // the turn is complete; the connection is closed below (not reusable)
        std::size_t const got = sizeof(buf) - parser.get().body().size;
        body_bytes += got;
        if (got > 0 && streaming)
        {
            auto const t_us = micros_since(t0);
            auto const now_unix = unix_micros();
            events.clear();
            sse.feed(std::string_view(buf, got), events);
            for (auto const& e : events)
            {
                r.events.push_back({t_us, e.is_comment, e.data, -1});
                if (e.is_comment)
                    announced = sent_stamp(e.data);
                else if (announced >= 0)
                {
                    r.events.back().delay_us = now_unix - announced;
                    announced = -1;
                }
                if (!e.is_comment && r.first_event_us < 0)
                    r.first_event_us = t_us;
                std::string const added = chat.on_event(e);
                if (!added.empty() && o.on_text)
                    o.on_text(added);
            }
        }
        else if (got > 0 && body_head.size() < 4096)
            body_head.append(buf, std::min<std::size_t>(got, 4096 - body_head.size()));
        if (ec)
        {
            failure = ec;
            break;
        }
    }

    r.text = chat.text();
    r.finish_reason = chat.finish_reason();
    r.usage = chat.usage();
    r.done_seen = chat.done();

    if (failure || !parser.is_done() || !parser.get().keep_alive())
        c.close();

    if (failure)
    {
        r.error = classify_io(failure);
        r.detail = "reading response body: " + failure.message();
    }
    else if (!streaming)
    {
        r.error = error_class::http_status;
        r.detail = body_head;
    }
    else if (!chat.error().empty())
    {
        c.close();
        r.error = error_class::bad_response;
        r.detail = chat.error();
    }
    else if (r.finish_reason.empty() && !r.done_seen)
    {
        // Only a stream with neither a finish_reason nor [DONE] fails (measured).
        bool const not_sse = !event_stream && chat.chunks() == 0 && body_bytes > 0;
        r.error = not_sse ? error_class::bad_response : error_class::stream_cut;
        r.detail = not_sse ? "200 response is not an event stream" : "stream ended without finish_reason";
    }
}

std::chrono::milliseconds
scaled(std::chrono::milliseconds real, std::chrono::milliseconds unit)
{
    // One real second of OpenClaw's schedule lasts `unit`.
    return std::chrono::milliseconds(real.count() * unit.count() / 1000);
}

net::awaitable<void>
pause(std::chrono::milliseconds d)
{
    if (d.count() <= 0)
        co_return;
    net::steady_timer timer(co_await net::this_coro::executor, d);
    co_await timer.async_wait(use_tuple);
}

net::awaitable<void>
run_one_turn(connection& c, std::function<built_request()> const& make_request,
    client_options const& o, turn_result& out)
{
    auto const start = clock_type::now();
    int attempts = 0;  // OpenClaw's own attempts
    int requests = 0;  // requests on the wire, undici's resends included
    std::chrono::milliseconds waited{0};  // OpenClaw time spent waiting, unscaled
    for (;;)
    {
        auto const req = make_request();
        turn_result a;
        co_await one_attempt(c, req, o, a);
        ++requests;
        auto outcome = user_messages::for_failure(a.error, a.status, a.detail);
        if (a.error == error_class::http_status && outcome.undici_resend)
        {
            // undici: a 421 is resent once, at once, on a new connection.
            c.close();
            a = turn_result{};
            co_await one_attempt(c, req, o, a);
            ++requests;
            outcome = user_messages::for_failure(a.error, a.status, a.detail);
        }
        ++attempts;
        bool stop = a.error == error_class::none || o.retries == 0 || attempts >= outcome.attempts;
        std::chrono::milliseconds wait{0};
        if (!stop)
        {
            wait = outcome.waits[static_cast<std::size_t>(attempts - 1)];
            std::chrono::milliseconds const said(a.retry_after_s >= 0 ? a.retry_after_s * 1000 : -1);
            if (said.count() >= 0 && outcome.retry_after == retry_after_rule::wait)
                wait = std::max(wait, said);
            else if (said.count() >= 0 && outcome.retry_after == retry_after_rule::stops_window)
            {
                if (waited + said > outcome.window)
                    stop = true;
                else
                    wait = std::max(wait, said);
            }
        }
        if (stop)
        {
            out = std::move(a);
            out.user_message = outcome.message;
            out.exit_code = outcome.exit_code;
            out.key_disabled = outcome.key_cooldown;
            break;
        }
        waited += wait;
        co_await pause(scaled(wait, o.backoff_unit));
    }
    out.requests_sent = requests;
    out.attempts = attempts;
    out.waited_ms = waited.count();
    out.total_us = micros_since(start);
}

struct load_state
{
    int next = 0;
    int repeat = 0;
    std::vector<turn_result> results;
    std::exception_ptr error;
};

net::awaitable<void>
worker(load_state& s, std::function<built_request()> const& make_request, client_options const& o)
{
    connection c(co_await net::this_coro::executor);
    while (s.next < s.repeat)
    {
        ++s.next;
        turn_result r;
        co_await run_one_turn(c, make_request, o, r);
        s.results.push_back(std::move(r));
    }
    c.close();
}

}  // namespace

std::vector<turn_result>
turn_runner::run(std::function<built_request()> const& make_request, client_options const& options,
    int repeat, int concurrency)
{
    net::io_context ioc{1};
    load_state s;
    s.repeat = std::max(repeat, 1);
    s.results.reserve(static_cast<std::size_t>(s.repeat));
    int const workers = std::clamp(concurrency, 1, s.repeat);
    for (int i = 0; i < workers; ++i)
        net::co_spawn(ioc, worker(s, make_request, options), [&s](std::exception_ptr e) {
            if (e && !s.error)
                s.error = e;
        });
    ioc.run();
    if (s.error)
        std::rethrow_exception(s.error);
    return std::move(s.results);
}

}  // namespace fakes::openclaw
