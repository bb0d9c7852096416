#include "upstream_stub.hpp"

#include "../load/sink_parser.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <cstring>
#include <charconv>
#include <chrono>
#include <list>
#include <optional>
#include <string>
#include <thread>

namespace mrb::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::string_view small_body =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":1754524122,"model":"ai/smollm2",)"
    R"("system_fingerprint":"b6097-bench","choices":[{"index":0,"finish_reason":"stop",)"
    R"("message":{"role":"assistant","content":"Hello from the bench stand-in."}}],)"
    R"("usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}})";

const std::string& small_response() {
    static const std::string r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(small_body.size()) + "\r\n\r\n" + std::string(small_body);
    return r;
}

constexpr std::string_view sse_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";
constexpr std::string_view sse_data =
    R"(data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1754524122,)"
    R"("model":"ai/smollm2","choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}]})";

const std::string& fill_buffer() {
    static const std::string b(256 * 1024, 'x');
    return b;
}

std::int64_t now_unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::uint64_t param(const boost::urls::url_view& u, std::string_view key, std::uint64_t dflt) {
    auto it = u.params().find(key);
    if (it == u.params().end()) return dflt;
    std::uint64_t v = dflt;
    const auto& s = (*it).value;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

}  // namespace

struct upstream_stub::impl {
    struct connection;
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::uint16_t port = 0;
    std::thread thread;
    std::atomic<std::uint64_t> served{0};
    std::list<std::shared_ptr<connection>> held;  // streams waiting for /bench/release (owned here)
    bool stopped = false;

    void accept();
    void release_all();
};

struct upstream_stub::impl::connection : std::enable_shared_from_this<connection> {
    connection(impl& owner, tcp::socket s) : owner_(owner), socket_(std::move(s)), timer_(owner.ioc) {}

    void start() { read(); }

    void read() {
        if (!parser_) parser_.emplace();
        if (used_ > 0) {  // pipelined bytes left over from the previous read
            parse();
            return;
        }
        socket_.async_read_some(asio::buffer(buf_.get(), buf_size_),
                                [self = shared_from_this()](error_code ec, std::size_t n) {
                                    if (ec) return self->close();
                                    self->used_ = n;
                                    self->parse();
                                });
    }

    void parse() {
        error_code ec;
        std::size_t off = 0;
        while (off < used_ && !parser_->is_done()) {
            std::size_t n = parser_->put(asio::buffer(buf_.get() + off, used_ - off), ec);
            if (ec == http::error::need_more) {
                ec = {};
                break;
            }
            if (ec) return close();
            if (n == 0) break;
            off += n;
        }
        // Keep unconsumed bytes (a partial header or the next pipelined request) at the front.
        std::memmove(buf_.get(), buf_.get() + off, used_ - off);
        used_ -= off;
        if (parser_->is_done()) return respond();
        if (used_ == buf_size_) return close();  // header larger than the buffer
        socket_.async_read_some(asio::buffer(buf_.get() + used_, buf_size_ - used_),
                                [self = shared_from_this()](error_code ec, std::size_t n) {
                                    if (ec) return self->close();
                                    self->used_ += n;
                                    self->parse();
                                });
    }

    void respond() {
        keep_alive_ = parser_->keep_alive();
        target_ = parser_->target();
        parser_.reset();
        auto u = boost::urls::parse_uri_reference(target_);
        owner_.served.fetch_add(1, std::memory_order_relaxed);
        if (!u) return write_small();
        if (u->path() == "/bench/release") {
            owner_.release_all();
            return write_small();
        }
        sse_left_ = param(*u, "sse", 0);
        if (sse_left_ > 0) {
            interval_us_ = param(*u, "iv", 0);
            hold_ = param(*u, "hold", 0) != 0;
            return write_sse_head();
        }
        down_left_ = param(*u, "down", 0);
        if (down_left_ > 0) return write_download_head();
        write_small();
    }

    void write_small() {
        const auto& r = small_response();
        asio::async_write(socket_, asio::buffer(r), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            self->next();
        });
    }

    void next() {
        if (!keep_alive_) return close();
        read();
    }

    void write_download_head() {
        out_ = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
               std::to_string(down_left_) + "\r\n\r\n";
        asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            self->write_download_body();
        });
    }

    void write_download_body() {
        if (down_left_ == 0) return next();
        const auto& b = fill_buffer();
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(down_left_, b.size()));
        down_left_ -= n;
        asio::async_write(socket_, asio::buffer(b.data(), n), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            self->write_download_body();
        });
    }

    void write_sse_head() {
        asio::async_write(socket_, asio::buffer(sse_head), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            self->write_event();
        });
    }

    // One event per chunk per write, stamped right before the write is issued.
    void write_event() {
        std::string ev;
        bool last = sse_left_ == 0;
        if (last) {
            ev = "data: [DONE]\n\n";
        } else {
            ev = ": t=" + std::to_string(now_unix_us()) + "\n";
            ev += sse_data;
            ev += "\n\n";
            --sse_left_;
        }
        char hex[20];
        auto [p, e] = std::to_chars(hex, hex + sizeof hex, ev.size(), 16);
        out_.assign(hex, p);
        out_ += "\r\n";
        out_ += ev;
        out_ += last ? "\r\n0\r\n\r\n" : "\r\n";
        asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this(), last](error_code ec, std::size_t) {
            if (ec) return self->close();
            if (last) return self->next();
            self->after_event();
        });
    }

    void after_event() {
        if (hold_) {
            hold_ = false;
            owner_.held.push_back(shared_from_this());
            holding_ = true;
            return;
        }
        if (interval_us_ == 0) return write_event();
        timer_.expires_after(std::chrono::microseconds(interval_us_));
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (ec) return self->close();
            self->write_event();
        });
    }

    void release() {
        if (!holding_) return;
        holding_ = false;
        after_event();
    }

    void close() {
        error_code ignored;
        timer_.cancel();
        socket_.close(ignored);
    }

    impl& owner_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    static constexpr std::size_t buf_size_ = 16 * 1024;
    std::unique_ptr<char[]> buf_{new char[buf_size_]};
    std::size_t used_ = 0;
    std::optional<sink_parser<true>> parser_;
    std::string out_;
    std::string target_;
    bool keep_alive_ = true;
    std::uint64_t sse_left_ = 0;
    std::uint64_t interval_us_ = 0;
    std::uint64_t down_left_ = 0;
    bool hold_ = false;
    bool holding_ = false;
};

void upstream_stub::impl::accept() {
    acceptor.async_accept([this](error_code ec, tcp::socket s) {
        if (ec) {
            if (stopped || ec == asio::error::operation_aborted) return;
            return accept();  // EMFILE and the like: keep serving the others
        }
        s.set_option(tcp::no_delay(true), ec);
        auto c = std::make_shared<connection>(*this, std::move(s));
        c->start();
        accept();
    });
}

void upstream_stub::impl::release_all() {
    auto list = std::move(held);
    held.clear();
    for (auto& c : list) c->release();
}

upstream_stub::upstream_stub(std::uint16_t port) : impl_(std::make_unique<impl>()) { impl_->port = port; }

upstream_stub::~upstream_stub() { stop(); }

std::uint16_t upstream_stub::port() const { return impl_->port; }

std::uint64_t upstream_stub::requests_served() const { return impl_->served.load(); }

void upstream_stub::listen() {
    auto& i = *impl_;
    if (i.acceptor.is_open()) return;
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), i.port);
    i.acceptor.open(ep.protocol());
    i.acceptor.set_option(tcp::acceptor::reuse_address(true));
    i.acceptor.bind(ep);
    i.acceptor.listen(asio::socket_base::max_listen_connections);
    i.port = i.acceptor.local_endpoint().port();
    i.accept();
}

void upstream_stub::start() {
    listen();
    auto& i = *impl_;
    i.thread = std::thread([&i] { i.ioc.run(); });
}

void upstream_stub::run_in_this_thread() {
    listen();
    impl_->ioc.run();
}

void upstream_stub::stop() {
    auto& i = *impl_;
    if (i.stopped) return;
    i.stopped = true;
    asio::post(i.ioc, [&i] {
        error_code ignored;
        i.acceptor.close(ignored);
        i.ioc.stop();
    });
    if (i.thread.joinable()) i.thread.join();
}

}  // namespace mrb::bench
