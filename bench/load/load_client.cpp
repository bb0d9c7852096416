#include "load_client.hpp"

#include "sink_parser.hpp"
#include "sse_scanner.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace mrb::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

namespace {

std::int64_t now_unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::uint64_t ns_between(clock_type::time_point a, clock_type::time_point b) {
    return b > a ? static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()) : 0;
}

const std::string& upload_buffer() {
    static const std::string b(256 * 1024, 'u');
    return b;
}

struct run_state;

struct connection : body_observer {
    connection(run_state& run, asio::io_context& ioc) : run_(run), socket_(ioc), timer_(ioc) {}

    void connect();
    void start_request();
    void write_upload();
    void read();
    void read_more();
    void on_read(std::size_t n);
    void finish_response();
    void fail(std::uint64_t load_result::*counter, std::string_view what, const error_code& ec);
    void mark_streaming();
    void on_body_bytes(std::string_view bytes) override {
        if (parser_->event_stream()) scanner_.feed(bytes, scratch_);
    }

    run_state& run_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    std::unique_ptr<char[]> buf_;
    std::size_t used_ = 0;
    std::optional<sink_parser<false>> parser_;
    sse_scanner scanner_;
    std::vector<sse_event> scratch_;
    clock_type::time_point started_;
    bool got_bytes_ = false;
    bool got_event_ = false;
    bool counted_streaming_ = false;
    bool closed_ = false;
    bool timed_out_ = false;
    std::uint64_t done_requests_ = 0;
    std::uint64_t upload_left_ = 0;
};

struct run_state {
    const load_spec& spec;
    load_result result;
    asio::io_context ioc{1};
    tcp::endpoint endpoint;
    std::vector<std::unique_ptr<connection>> conns;
    std::size_t next_to_connect = 0;
    int connecting = 0;
    int streaming_or_failed = 0;
    bool all_streaming_fired = false;
    clock_type::time_point t_start, warm_end, end;
    clock_type::time_point first_recorded{}, last_recorded{};

    explicit run_state(const load_spec& s) : spec(s) {}

    bool fixed_duration() const { return spec.requests_per_connection == 0; }
    bool measuring(clock_type::time_point t) const { return t >= warm_end; }

    void connect_more() {
        while (connecting < spec.max_connecting && next_to_connect < conns.size()) {
            ++connecting;
            conns[next_to_connect++]->connect();
        }
    }

    void one_streaming_or_failed() {
        ++streaming_or_failed;
        if (!all_streaming_fired && streaming_or_failed == static_cast<int>(conns.size())) {
            all_streaming_fired = true;
            if (spec.on_all_streaming) spec.on_all_streaming();
        }
    }
};

void connection::connect() {
    socket_.async_connect(run_.endpoint, [this](error_code ec) {
        --run_.connecting;
        run_.connect_more();
        if (ec) return fail(&load_result::connect_errors, "connect", ec);
        socket_.set_option(tcp::no_delay(true), ec);
        buf_.reset(new char[run_.spec.read_buffer]);
        start_request();
    });
}

void connection::start_request() {
    const auto now = clock_type::now();
    if (run_.fixed_duration() ? now >= run_.end : done_requests_ >= run_.spec.requests_per_connection) {
        closed_ = true;
        error_code ignored;
        socket_.close(ignored);
        return;
    }
    parser_.emplace(this);
    scanner_.reset();
    got_bytes_ = got_event_ = false;
    started_ = now;
    upload_left_ = run_.spec.upload_bytes;
    timer_.expires_after(run_.spec.request_timeout);
    timer_.async_wait([this](error_code ec) {
        if (ec) return;  // cancelled: the response finished in time
        error_code ignored;
        socket_.close(ignored);  // the pending operation fails and reports the error
        timed_out_ = true;
    });
    asio::async_write(socket_, asio::buffer(run_.spec.request_head), [this](error_code ec, std::size_t n) {
        if (ec) return fail(&load_result::io_errors, "write", ec);
        run_.result.bytes_out += n;
        write_upload();
    });
}

void connection::write_upload() {
    if (upload_left_ == 0) return read();
    const auto& b = upload_buffer();
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(upload_left_, b.size()));
    upload_left_ -= n;
    asio::async_write(socket_, asio::buffer(b.data(), n), [this](error_code ec, std::size_t m) {
        if (ec) return fail(&load_result::io_errors, "upload", ec);
        run_.result.bytes_out += m;
        write_upload();
    });
}

void connection::read() {
    if (used_ > 0) return on_read(0);  // bytes already buffered
    read_more();
}

void connection::read_more() {
    socket_.async_read_some(asio::buffer(buf_.get() + used_, run_.spec.read_buffer - used_),
                            [this](error_code ec, std::size_t n) {
                                if (ec == asio::error::eof && parser_->need_eof()) {
                                    error_code pe;
                                    parser_->put_eof(pe);
                                    if (!pe) return finish_response();
                                }
                                if (ec) return fail(&load_result::io_errors, timed_out_ ? "timeout" : "read", ec);
                                on_read(n);
                            });
}

void connection::on_read(std::size_t n) {
    const auto now = clock_type::now();
    used_ += n;
    if (!got_bytes_) {
        got_bytes_ = true;
        if (run_.measuring(now)) run_.result.ttfb.record(ns_between(started_, now));
    }
    scratch_.clear();
    error_code ec;
    std::size_t off = 0;
    while (off < used_ && !parser_->is_done()) {
        std::size_t m = parser_->put(asio::buffer(buf_.get() + off, used_ - off), ec);
        if (ec == http::error::need_more) {
            ec = {};
            break;
        }
        if (ec) return fail(&load_result::io_errors, "parse", ec);
        if (m == 0) break;
        off += m;
    }
    std::memmove(buf_.get(), buf_.get() + off, used_ - off);
    used_ -= off;

    if (!scratch_.empty()) {
        const bool rec = run_.measuring(now);
        const std::int64_t arrival_us = now_unix_us();
        std::uint64_t in_this_read = 0;
        for (const auto& e : scratch_) {
            if (e.done) continue;
            ++in_this_read;
            ++run_.result.events;
            if (e.stamp_us < 0) {
                ++run_.result.unstamped_events;
            } else if (rec) {
                run_.result.event_delay.record(
                    static_cast<std::uint64_t>(std::max<std::int64_t>(0, arrival_us - e.stamp_us)) * 1000);
            }
        }
        if (in_this_read > 1) run_.result.coalesced += in_this_read - 1;
        if (!got_event_ && in_this_read > 0) {
            got_event_ = true;
            if (rec) run_.result.first_event.record(ns_between(started_, now));
            mark_streaming();
        }
    }
    if (parser_->is_done()) return finish_response();
    if (used_ == run_.spec.read_buffer) return fail(&load_result::io_errors, "header too large", {});
    read_more();
}

void connection::finish_response() {
    const auto now = clock_type::now();
    timer_.cancel();
    ++done_requests_;
    auto& r = run_.result;
    r.body_bytes_in += parser_->body_bytes();
    if (parser_->status() != run_.spec.expect_status) {
        ++r.status_errors;
        ++r.errors;
        if (r.first_error.empty()) r.first_error = "status " + std::to_string(parser_->status());
    } else if (run_.measuring(now)) {
        ++r.ok;
        r.latency.record(ns_between(started_, now));
        if (run_.first_recorded == clock_type::time_point{}) run_.first_recorded = started_;
        run_.last_recorded = now;
    }
    mark_streaming();
    const bool keep = parser_->keep_alive();
    parser_.reset();
    if (!keep) {
        closed_ = true;
        error_code ignored;
        socket_.close(ignored);
        return;
    }
    start_request();
}

void connection::mark_streaming() {
    if (counted_streaming_) return;
    counted_streaming_ = true;
    run_.one_streaming_or_failed();
}

void connection::fail(std::uint64_t load_result::*counter, std::string_view what, const error_code& ec) {
    timer_.cancel();
    auto& r = run_.result;
    ++(r.*counter);
    ++r.errors;
    if (r.first_error.empty()) r.first_error = std::string(what) + ": " + ec.message();
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    mark_streaming();
}

}  // namespace

std::string make_request_head(std::string_view method, std::string_view target, std::string_view host,
                              std::uint64_t content_length, bool with_body) {
    std::string h;
    h.reserve(256);
    h.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
    h.append("User-Agent: bridge-bench\r\nAccept: */*\r\n");
    if (with_body) {
        h.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(content_length)).append("\r\n");
    }
    h.append("\r\n");
    return h;
}

load_result run_load(const load_spec& spec) {
    run_state run(spec);
    run.endpoint = tcp::endpoint(asio::ip::make_address(spec.host), spec.port);
    run.conns.reserve(static_cast<std::size_t>(spec.connections));
    for (int i = 0; i < spec.connections; ++i) run.conns.push_back(std::make_unique<connection>(run, run.ioc));
    run.t_start = clock_type::now();
    run.warm_end = run.t_start + spec.warmup;
    run.end = run.warm_end + spec.duration;
    run.connect_more();
    run.ioc.run();
    auto& r = run.result;
    if (run.fixed_duration()) {
        r.seconds = std::chrono::duration<double>(std::max(run.end, run.last_recorded) - run.warm_end).count();
    } else if (run.last_recorded > run.first_recorded) {
        r.seconds = std::chrono::duration<double>(run.last_recorded - std::max(run.first_recorded, run.warm_end)).count();
    }
    return std::move(run.result);
}

}  // namespace mrb::bench
