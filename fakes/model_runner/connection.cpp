#include "connection.hpp"

#include "routes.hpp"
#include "sse_writer.hpp"

#include <http_kit/fault_writer.hpp>
#include <http_kit/http_io.hpp>

#include <boost/asio/error.hpp>

namespace fakes::model_runner {

namespace net = boost::asio;
using http_kit::error_code;
using tcp = net::ip::tcp;

namespace {

std::int64_t
unix_micros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class session
{
public:
    session(tcp::socket socket, runner_state& st)
        : socket_(std::move(socket))
        , st_(st)
        , id_(++st.connections)
    {
        ++st_.open_connections;
    }

    ~session() { --st_.open_connections; }

    net::awaitable<void> run();

private:
    // Returns true to keep the connection for the next request.
    net::awaitable<bool> respond(const http_kit::received_request& req, response_plan plan, const fault_spec& f);
    net::awaitable<bool> stream_events(http_kit::fault_writer& w, std::string out, response_plan& plan,
                                       const fault_spec& f, bool chunked);
    void client_gone(bool mid_response)
    {
        st_.record.add_disconnect({id_, std::chrono::system_clock::now(), mid_response, requests_});
    }
    // A failed write/pause: the client went away unless we closed it ourselves (limit_data).
    bool failed(http_kit::fault_writer& w, const error_code& ec)
    {
        if(ec && !w.limit_reached())
            client_gone(true);
        return false;
    }

    tcp::socket socket_;
    runner_state& st_;
    std::uint64_t id_;
    std::uint64_t requests_ = 0;
};

net::awaitable<void>
session::run()
{
    http_kit::request_reader reader(st_.options.max_body + 64 * 1024);
    reader.answer_expect_continue(true);
    for(;;)
    {
        http_kit::received_request req;
        auto ec = co_await reader.read(socket_, req);
        if(ec)
        {
            if(http_kit::request_reader::end_of_stream(ec))
                client_gone(false);
            else if(http_kit::request_reader::body_too_large(ec))
            {
                auto p = request_handler::text_error(400, text_errors::request_too_large);
                p.close = true;
                co_await respond(req, std::move(p), fault_spec{});
            }
            else if(ec != net::error::operation_aborted)
                co_await http_kit::write_all(socket_, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                                      "Connection: close\r\n\r\n400 Bad Request");
            break;
        }
        ++requests_;
        st_.record.add_request({id_, std::chrono::system_clock::now(), req.method, req.target, req.headers, req.body});

        fault_spec f = *st_.current_fault();
        if(st_.options.fault_header)
            if(auto h = req.header("x-fake-fault"); !h.empty())
            {
                std::string err;
                auto parsed = parse_fault_header(h, err);
                if(!parsed)
                {
                    auto p = request_handler::text_error(400, "bad x-fake-fault header: " + err);
                    if(!co_await respond(req, std::move(p), fault_spec{}))
                        break;
                    continue;
                }
                f.merge(*parsed);
            }
        if(!co_await respond(req, st_.handler.handle(req), f))
            break;
    }
    error_code ignored;
    if(socket_.is_open())
    {
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        socket_.close(ignored);
    }
}

net::awaitable<bool>
session::respond(const http_kit::received_request& req, response_plan plan, const fault_spec& f)
{
    http_kit::fault_writer w(socket_, f.toxics);

    // Model loading: DMR sends no headers until the runner is ready; then llama.cpp processes
    // the prompt before the first result (and so the head) exists.
    // A status fault answers instead of llama.cpp, so no prompt is processed.
    auto delay = (f.load_delay ? *f.load_delay : plan.load_delay) + (f.status ? std::chrono::milliseconds{0} : plan.prefill);
    if(auto ec = co_await w.pause(delay); ec)
        co_return failed(w, ec);
    if(f.reset_peer_after && *f.reset_peer_after < 0)
    {
        w.reset_peer();
        co_return false;
    }
    if(f.stall && f.stall->after_events < 0)
    {
        auto ec = co_await w.stall(f.stall->max);
        if(ec != net::error::timed_out)
            client_gone(true);
        co_return false;
    }
    if(f.status)
    {
        auto type = f.status->content_type.empty() ? std::string("text/plain; charset=utf-8") : f.status->content_type;
        response_plan p;
        p.status = f.status->code;
        p.headers = {{"Content-Type", type}};
        if(type.starts_with("text/plain") && !f.status->sniffed)
            p.headers.emplace_back("X-Content-Type-Options", "nosniff");
        p.body = f.status->body.empty() ? std::string(http_kit::reason_phrase(p.status)) + "\n" : f.status->body;
        p.close = plan.close;
        plan = std::move(p);
    }

    const bool close_after = plan.close || !req.keep_alive || f.toxics.slow_close.count() > 0 || f.close_delimited ||
                             (f.truncate && f.truncate->close);
    const bool chunked = plan.streaming && !f.close_delimited;
    const bool cl_and_te = f.invalid_framing && f.invalid_framing->mode == fault_spec::framing_mode::cl_and_te;

    // Go's header order: handler headers, then Date, Content-Length, Connection, Transfer-Encoding.
    auto headers = std::move(plan.headers);
    headers.emplace_back("Date", http_kit::http_date());
    if(!plan.streaming)
        headers.emplace_back("Content-Length", std::to_string(plan.body.size()));
    else if(cl_and_te)
        headers.emplace_back("Content-Length", "64");
    if(close_after)
        headers.emplace_back("Connection", "close");
    if(chunked || (cl_and_te && !plan.streaming))
        headers.emplace_back("Transfer-Encoding", "chunked");
    std::string out = http_kit::response_head(plan.status, headers);
    if(f.invalid_framing && f.invalid_framing->mode == fault_spec::framing_mode::bad_status_line)
        out.replace(0, out.find("\r\n"), "HTTP/1.1 2x0 OK");

    if(plan.streaming)
    {
        bool keep = co_await stream_events(w, std::move(out), plan, f, chunked);
        if(!keep)
            co_return false;
    }
    else
    {
        const bool head = req.method == "HEAD";
        // after_events faults on a plain body: act after the headers and half the body.
        bool mid_fault = (f.reset_peer_after && *f.reset_peer_after >= 0) || (f.stall && f.stall->after_events >= 0) || f.truncate;
        if(!mid_fault)
        {
            if(!head)
                out += plan.body;
            if(auto ec = co_await w.write(out); ec)
                co_return failed(w, ec);
        }
        else
        {
            if(!head)
                out += std::string_view(plan.body).substr(0, plan.body.size() / 2);
            if(auto ec = co_await w.write(out); ec)
                co_return failed(w, ec);
            if(f.reset_peer_after && *f.reset_peer_after >= 0)
                w.reset_peer();
            else if(f.stall && f.stall->after_events >= 0)
            {
                if(auto ec = co_await w.stall(f.stall->max); ec != net::error::timed_out)
                    client_gone(true);
            }
            co_await w.close();
            co_return false;
        }
    }
    if(close_after)
    {
        co_await w.close();
        co_return false;
    }
    co_return true;
}

net::awaitable<bool>
session::stream_events(http_kit::fault_writer& w, std::string out, response_plan& plan, const fault_spec& f, bool chunked)
{
    const auto n = static_cast<std::int64_t>(plan.event_count());
    // Automatic: without pacing every event is ready at once, so one write carries them all
    // (syscalls dominate the fake's CPU); with pacing, one write per event like llama.cpp.
    std::size_t coalesce = f.coalesce_events;
    if(coalesce == 0)
        coalesce = st_.options.token_interval.count() > 0 ? 1 : static_cast<std::size_t>(n) + 1;
    std::size_t pending = 0;
    auto flush = [&]() -> net::awaitable<error_code> {
        pending = 0;
        if(out.empty())
            co_return error_code{};
        auto ec = co_await w.write(out);
        out.clear();
        co_return ec;
    };
    for(std::int64_t i = 0; i <= n; ++i)
    {
        // Faults that fire once i events have been sent.
        if(f.reset_peer_after && *f.reset_peer_after == i)
        {
            if(auto ec = co_await flush(); ec)
                co_return failed(w, ec);
            w.reset_peer();
            co_return false;
        }
        if(f.stall && f.stall->after_events == i)
        {
            if(auto ec = co_await flush(); ec)
                co_return failed(w, ec);
            if(auto ec = co_await w.stall(f.stall->max); ec != net::error::timed_out)
                client_gone(true);
            co_return false;
        }
        if(f.truncate && f.truncate->after_events == i)
        {
            if(chunked && !f.truncate->close)
                out += http_kit::last_chunk;
            if(auto ec = co_await flush(); ec)
                co_return failed(w, ec);
            if(!chunked || f.truncate->close)
            {
                co_await w.close();
                co_return false;
            }
            co_return true;
        }
        if(i == n)
            break;
        std::string_view ev = plan.event(static_cast<std::size_t>(i));
        std::string broken;
        if(f.malformed_after && *f.malformed_after == i)
        {
            broken = R"(data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":)" "\n\n";
            ev = broken;
        }
        std::string stamped;
        if(st_.options.event_timestamps)
        {
            stamped = sse_writer::timestamp_comment(unix_micros());
            stamped += ev;
            ev = stamped;
        }
        if(f.invalid_framing && f.invalid_framing->mode == fault_spec::framing_mode::bad_chunk_size &&
           f.invalid_framing->after_events == i)
        {
            out += "zz\r\n";
            out += ev;
            out += "\r\n";
            if(auto ec = co_await flush(); ec)
                co_return failed(w, ec);
            co_await w.close();
            co_return false;
        }
        if(chunked)
            http_kit::append_chunk(out, ev);
        else
            out += ev;
        // Big streams go out in 64 KiB writes so memory stays flat.
        if(++pending >= coalesce || out.size() >= 64 * 1024)
        {
            if(auto ec = co_await flush(); ec)
                co_return failed(w, ec);
            if(st_.options.token_interval.count() > 0 && i + 1 < n)
                if(auto ec = co_await w.pause(st_.options.token_interval); ec)
                    co_return failed(w, ec);
        }
    }
    // The last group and the terminating chunk leave together.
    if(chunked)
        out += http_kit::last_chunk;
    if(auto ec = co_await flush(); ec)
        co_return failed(w, ec);
    co_return true;
}

} // namespace

net::awaitable<void>
serve_connection(tcp::socket socket, runner_state& state)
{
    session s(std::move(socket), state);
    co_await s.run();
}

} // namespace fakes::model_runner
