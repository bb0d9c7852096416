#include "relay_session.hpp"

#include "core/denial.hpp"
#include "core/exchange.hpp"
#include "core/framing_check.hpp"
#include "core/retry_policy.hpp"
#include "core/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <sys/socket.h>

namespace mrb {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

using text::iequals;
using text::istarts_with;

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

// End of the head: CRLFCRLF, or a bare-LF blank line (then rejected by check_raw_head).
std::size_t find_head_end(std::string_view data, std::size_t from)
{
    for (std::size_t i = data.find('\n', from); i != std::string_view::npos; i = data.find('\n', i + 1))
    {
        if (i + 1 < data.size() && data[i + 1] == '\n')
            return i + 2;
        if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n')
            return i + 3;
    }
    return std::string_view::npos;
}

bool would_block(const error_code& ec)
{
    return ec == net::error::would_block || ec == net::error::try_again;
}

// Writes what the serializer holds without a trip through the event loop when the socket takes
// it at once (the usual case: the kernel buffer has room); only the rest waits asynchronously.
// The socket is in non-blocking mode, so the synchronous attempt never blocks the worker.
// Returns need_buffer like http::async_write when a buffer_body piece has gone out.
template <bool is_request>
net::awaitable<error_code> write_now(net::ip::tcp::socket& s, http::serializer<is_request, http::buffer_body>& sr,
                                     bool header_only)
{
    if (header_only)
        sr.split(true);
    error_code ec;
    while (!(header_only ? sr.is_header_done() : sr.is_done()))
    {
        http::write_some(s, sr, ec);
        if (!ec)
            continue;
        if (!would_block(ec))
            co_return ec;
        if (header_only)
            std::tie(ec, std::ignore) = co_await http::async_write_header(s, sr, nothrow);
        else
            std::tie(ec, std::ignore) = co_await http::async_write(s, sr, nothrow);
        co_return ec;
    }
    co_return ec;
}

// Feeds the parser what is already buffered. Returns false (and no error) when it needs more
// bytes from the socket. Beast's async_read_some parses the buffer first too, but completes
// through the event loop even when no I/O was needed: a wake-up per body piece.
template <bool is_request>
bool parse_buffered(beast::flat_buffer& b, http::basic_parser<is_request>& p, error_code& ec)
{
    ec = {};
    if (b.size() == 0)
        return false;
    const auto used = p.put(b.data(), ec);
    b.consume(used);
    if (ec == http::error::need_more)
    {
        ec = {};
        return false;
    }
    return true;
}

// Reads more of a body into `buf` and feeds the parser, like http::async_read_some, except that
// the bytes of a chunked body go through `chunks` as they arrive, before the parser sees them:
// a malformed chunk line is an error at once (Boost 1.81 waits forever on a bare LF).
template <bool is_request>
net::awaitable<error_code> read_body_some(net::ip::tcp::socket& from, beast::flat_buffer& buf,
                                          http::basic_parser<is_request>& p, chunk_checker* chunks)
{
    error_code ec;
    while (!parse_buffered(buf, p, ec))
    {
        if (buf.size() >= buf.max_size())
            co_return http::error::buffer_overflow;
        auto [rec, n] = co_await from.async_read_some(buf.prepare(beast::read_size(buf, 65536)), nothrow);
        if (rec == net::error::eof)
        {
            p.put_eof(ec); // ends a close-delimited body; partial_message otherwise
            co_return ec;
        }
        if (rec)
            co_return rec;
        buf.commit(n);
        if (chunks)
        {
            const auto* end = static_cast<const char*>(buf.data().data()) + buf.size();
            chunks->feed(std::string_view(end - n, n));
            if (chunks->error() != framing_error::none)
                co_return http::error::bad_chunk;
        }
    }
    co_return ec;
}

// The decision and Beast's parser agree on how the body is delimited (a guard: the decision only
// accepts heads with one framing field, which both read the same way).
template <bool is_request>
bool frames_alike(const body_framing& b, const http::basic_parser<is_request>& p)
{
    switch (b.type)
    {
    case body_framing::kind::chunked: return p.chunked();
    case body_framing::kind::content_length: return !p.chunked() && p.content_length() && *p.content_length() == b.length;
    case body_framing::kind::none: return !p.chunked() && !p.content_length();
    }
    return false;
}

// Starts checking a chunked body with the bytes already buffered behind its head.
bool start_chunk_check(std::optional<chunk_checker>& chunks, const beast::flat_buffer& buf)
{
    chunks.emplace();
    chunks->feed(std::string_view(static_cast<const char*>(buf.data().data()), buf.size()));
    return chunks->error() == framing_error::none;
}

} // namespace

relay_session::relay_session(tcp::socket client, relay_context& ctx, worker& w, bool over_limit)
    : ctx_(ctx)
    , worker_(w)
    , client_(std::move(client))
    , upstream_(w.ioc)
    , timer_(w.ioc)
    , over_limit_(over_limit)
    , obs_(ctx.log, ctx.capture_sink, ctx.config.admin_enabled ? &w.metrics : nullptr, ctx.config.via_proxy())
{
    // Heads are bounded by serve_one's own check; the rest is room for bulk body reads.
    client_buf_.max_size(ctx.config.header_limit + bulk_buffer_size + relay_buffer_size);
}

relay_session::~relay_session()
{
    if (ctx_.on_session_end)
        ctx_.on_session_end();
}

void relay_session::start()
{
    worker_.sessions.insert(this);
    error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    client_.non_blocking(true, ignored); // for write_now's first, synchronous attempt
    auto self = shared_from_this();
    net::co_spawn(worker_.ioc, watchdog(self), net::detached);
    net::co_spawn(worker_.ioc, run(self), net::detached);
}

void relay_session::on_drain()
{
    if (phase_ == phase::idle)
        close_client();
}

// ---------------------------------------------------------------------------------------------
// Deadlines: one timer per session; whatever the current phase waits for is cut when it fires.

// The timer is re-armed only when a deadline moves before the instant it is armed for. A later
// deadline is a plain store: the watchdog wakes early, sees time left and re-waits. Deadlines
// move on every phase of every request, so re-arming each time cost a timerfd_settime and a
// wake-up per move (three per keep-alive request).
void relay_session::set_deadline(std::chrono::milliseconds d)
{
    deadline_ = clock::now() + d;
    if (deadline_ < armed_for_)
        timer_.cancel(); // wake the watchdog so it re-waits on the earlier deadline
}

net::awaitable<void> relay_session::watchdog(std::shared_ptr<relay_session> self)
{
    while (!closed_)
    {
        armed_for_ = deadline_;
        timer_.expires_at(armed_for_);
        co_await timer_.async_wait(nothrow);
        if (closed_)
            break;
        if (clock::now() >= deadline_)
        {
            deadline_ = clock::time_point::max();
            on_deadline();
        }
    }
}

void relay_session::on_deadline()
{
    const auto v = mrb::on_deadline(phase_);
    client_timed_out_ = client_timed_out_ || v.client_timed_out;
    upstream_timed_out_ = upstream_timed_out_ || v.upstream_timed_out;
    if (v.close_upstream)
        close_upstream();
    if (v.close_client)
        close_client();
}

// ---------------------------------------------------------------------------------------------
// Client watch: while we wait on upstream, a client EOF/reset must cancel the upstream at once.
// async_wait does not consume bytes, so a pipelined next request stays in the socket. The watch
// starts only once the wait has lasted a few milliseconds (client_watch_sweeper.hpp says why).

void relay_session::want_client_watch()
{
    if (watch_wanted_)
        return;
    watch_wanted_ = true;
    worker_.watch_sweeper.request(*this);
}

void relay_session::on_watch_due()
{
    if (client_.is_open())
        start_client_watch();
}

void relay_session::start_client_watch()
{
    if (phase_ == phase::response_head && !slow_head_.pending)
    {
        slow_head_.pending = true;
        worker_.slow_head_sweeper.request(slow_head_);
    }
    watching_ = true;
    const unsigned generation = ++watch_generation_;
    client_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this(), generation](error_code ec) { self->on_client_readable(ec, generation); });
}

void relay_session::slow_head_notice::on_watch_due()
{
    pending = false;
    if (session.phase_ != phase::response_head)
        return;
    session.ctx_.log.write(log_level::warn, "waiting for the response head (the model may be loading...)",
                           {{"method", session.rec_.method}, {"path", session.rec_.path},
                            {"waited_ms", session.obs_.elapsed_us() / 1000},
                            {"timeout_ms", session.ctx_.config.response_header_timeout.count()}});
}

void relay_session::stop_client_watch()
{
    if (slow_head_.pending)
    {
        worker_.slow_head_sweeper.cancel(slow_head_);
        slow_head_.pending = false;
    }
    if (watch_wanted_)
        worker_.watch_sweeper.cancel(*this);
    watch_wanted_ = false;
    if (!watching_)
        return;
    watching_ = false;
    ++watch_generation_;
    error_code ignored;
    client_.cancel(ignored);
}

void relay_session::on_client_readable(error_code ec, unsigned generation)
{
    if (!watching_ || generation != watch_generation_ || ec == net::error::operation_aborted)
        return;
    if (!ec)
    {
        char byte;
        const auto n = ::recv(client_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0)
        {
            watching_ = false; // pipelined bytes: they wait for the next request
            return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        {
            start_client_watch();
            return;
        }
    }
    // EOF or error: the client is gone; stop the Model Runner's work now.
    watching_ = false;
    client_gone_ = true;
    close_upstream();
    close_client();
}

void relay_session::close_upstream() noexcept
{
    error_code ignored;
    if (upstream_.is_open())
    {
        upstream_.shutdown(tcp::socket::shutdown_both, ignored);
        upstream_.close(ignored);
    }
}

void relay_session::close_client() noexcept
{
    error_code ignored;
    if (client_.is_open())
        client_.close(ignored);
}

// ---------------------------------------------------------------------------------------------

net::awaitable<void> relay_session::run(std::shared_ptr<relay_session> self)
{
    bool first = true;
    while (client_.is_open())
    {
        request_started_ = false;
        obs_.reset();
        sse_ = {};
        client_gone_ = client_timed_out_ = upstream_timed_out_ = false;
        const outcome o = co_await serve_one(first);
        first = false;
        stop_client_watch();
        end_bulk();
        if (request_started_)
            obs_.finish();
        worker_.metrics.set_pooled(worker_.pool.size());
        if (o == outcome::close || ctx_.draining.load())
            break;
    }
    close_upstream();
    close_client();
    closed_ = true;
    timer_.cancel();
    worker_.sessions.erase(this);
}

// Holds a request body piece for a possible resend, until the body outgrows --replay-limit.
void relay_session::hold_for_replay(const void* data, std::size_t size)
{
    if (!replay_held_ || size == 0)
        return;
    if (replay_.size() + size > ctx_.config.replay_limit)
    {
        release_replay();
        return;
    }
    replay_.append(static_cast<const char*>(data), size);
}

// Drops the held body: the memory per open stream stays what it was without it.
void relay_session::release_replay() noexcept
{
    replay_held_ = false;
    std::string().swap(replay_);
}

// Called after each body piece is read; switches to the bulk buffer for the following reads.
void relay_session::note_piece(std::size_t got, beast::flat_buffer& source)
{
    if (bulk_buf_)
        return;
    big_pieces_ = got >= piece_cap_ / 2 ? big_pieces_ + 1 : 0;
    if (big_pieces_ < 2)
        return;
    bulk_buf_ = std::make_unique_for_overwrite<char[]>(bulk_buffer_size);
    piece_ = bulk_buf_.get();
    piece_cap_ = bulk_buffer_size;
    // Beast reads as much as the flat buffer holds: let one socket read fill a bulk piece.
    if (source.max_size() >= bulk_buffer_size)
        source.reserve(bulk_buffer_size);
}

// Back to the small buffers between exchanges: an idle keep-alive connection holds 2 KiB.
void relay_session::end_bulk()
{
    big_pieces_ = 0;
    if (!bulk_buf_)
        return;
    bulk_buf_.reset();
    piece_ = relay_buf_;
    piece_cap_ = relay_buffer_size;
    upstream_buf_.shrink_to_fit();
    client_buf_.shrink_to_fit();
}

// Reads until a whole head is in `buf` (CRLFCRLF, or a bare-LF blank line that check_raw_head
// then rejects): the one head reader, for requests and responses. For a request, empty lines
// before the request line are dropped (RFC 9112 2.2) and the first byte starts the exchange.
// Errors: header_limit past `limit` bytes; end_of_stream when the peer closed before any byte,
// partial_message when it closed inside the head; or the socket's own error.
net::awaitable<relay_session::head_read> relay_session::read_head(tcp::socket& from, beast::flat_buffer& buf,
                                                                   std::size_t limit, bool request, bool first)
{
    std::size_t scanned = 0;
    for (;;)
    {
        const auto data = std::string_view(static_cast<const char*>(buf.data().data()), buf.size());
        if (request && phase_ == phase::idle)
        {
            std::size_t skip = 0;
            while (skip + 1 < data.size() && data[skip] == '\r' && data[skip + 1] == '\n')
                skip += 2;
            if (skip)
            {
                buf.consume(skip);
                continue;
            }
        }
        const std::size_t len = find_head_end(data, scanned > 3 ? scanned - 3 : 0);
        if (len != std::string_view::npos)
            co_return head_read{{}, len, check_raw_head(data.substr(0, len))};
        scanned = data.size();
        if (data.size() > limit)
            co_return head_read{http::error::header_limit};
        auto [ec, n] = co_await from.async_read_some(buf.prepare(relay_buffer_size), nothrow);
        if (ec == net::error::eof)
            ec = data.empty() ? error_code(http::error::end_of_stream) : error_code(http::error::partial_message);
        if (ec)
            co_return head_read{ec};
        buf.commit(n);
        if (request && phase_ == phase::idle && n > 0)
        {
            phase_ = phase::head;
            begin_request();
            if (!first)
                set_deadline(ctx_.config.client_header_timeout);
        }
    }
}

void relay_session::begin_request()
{
    if (request_started_)
        return;
    request_started_ = true;
    obs_.start_clock();
}

// The bridge refuses the request itself; the connection closes after the answer.
net::awaitable<void> relay_session::refuse(unsigned flags, failure what, std::string detail)
{
    rec_.flags |= flags;
    co_await send_error(what, std::move(detail), false);
}

net::awaitable<relay_session::outcome> relay_session::serve_one(bool first)
{
    const auto& cfg = ctx_.config;
    phase_ = phase::idle;
    chat_scan_.reset();
    set_deadline(first ? cfg.client_header_timeout : cfg.keep_alive_idle);
    const auto head = co_await read_head(client_, client_buf_, cfg.header_limit, true, first);
    if (head.ec && head.ec != http::error::header_limit)
    {
        note_head_cut();
        co_return outcome::close;
    }
    // Plain functions, not coroutines, on the path every request takes: a coroutine frame costs
    // a few hundred instructions even when it never suspends.
    std::string origin_form;
    auto refused = check_request_head(head);
    if (!refused)
        refused = parse_request_head(head.len);
    if (!refused)
        refused = admit_request(origin_form);
    if (refused)
    {
        co_await refuse(refused->flags, refused->what, std::move(refused->detail));
        co_return outcome::close;
    }
    const bool has_body = !req_parser_->is_done();

    auto& req = req_parser_->get();
    if (cfg.error_delivery_mode == error_delivery::chat && is_chat_completion_request(req.method_string(), req.target()))
        chat_scan_.emplace();
    client_version_ = req.version();
    client_keep_alive_ = req.keep_alive();
    is_head_ = req.method() == http::verb::head;
    const bool expect_continue = iequals(req[http::field::expect], "100-continue");
    obs_.request(client_version_, req.base());
    ctx_.policy.rewrite_request(req.base(), origin_form);
    apply_framing(req.base(), req_framing_);
    obs_.upstream_request(req.target(), req.base());

    co_return co_await relay(has_body, expect_continue);
}

// The client left, or its header deadline passed, before a whole head arrived.
void relay_session::note_head_cut()
{
    if (client_buf_.size() > 0 && request_started_)
    {
        rec_.flags |= client_timed_out_ ? flag_dpe : flag_dc;
        rec_.detail = client_timed_out_ ? "client header deadline" : "client closed during the request head";
    }
}

// The request head, checked on the raw bytes before any parser sees them.
std::optional<relay_session::refusal> relay_session::check_request_head(const head_read& head)
{
    begin_request();
    if (head.ec == http::error::header_limit)
        return refusal{flag_dpe, failure::header_too_large, {}};
    phase_ = phase::head;
    if (head.len > ctx_.config.header_limit)
        return refusal{flag_dpe, failure::header_too_large, {}};
    if (head.raw != framing_error::none)
    {
        rec_.detail = std::string(describe(head.raw));
        return refusal{flag_dpe, failure::bad_request, rec_.detail};
    }
    return std::nullopt;
}

// Hands exactly the head to Beast's parser and takes the one framing decision: what was checked
// is what frames the body upstream (apply_framing re-derives the forwarded fields from it).
std::optional<relay_session::refusal> relay_session::parse_request_head(std::size_t head_len)
{
    const auto& cfg = ctx_.config;
    req_parser_.emplace();
    req_parser_->header_limit(static_cast<std::uint32_t>(cfg.header_limit + 4));
    req_parser_->body_limit(cfg.request_body_limit);
    error_code ec;
    req_parser_->put(net::buffer(client_buf_.data().data(), head_len), ec);
    if (ec || !req_parser_->is_header_done())
    {
        if (!ec)
            ec = http::error::partial_message;
        rec_.detail = ec.message();
        return refusal{flag_dpe, request_head_failure(ec), rec_.detail};
    }
    client_buf_.consume(head_len);

    auto& req = req_parser_->get();
    rec_.method = std::string(req.method_string());
    rec_.path = std::string(req.target());
    const auto framing = decide_request_framing(req.base());
    auto e = framing.error;
    if (e == framing_error::none && !frames_alike(framing.body, *req_parser_))
        e = framing_error::transfer_encoding_not_chunked; // a guard: Beast frames by the same single field
    if (e != framing_error::none)
    {
        rec_.detail = std::string(describe(e));
        return refusal{flag_dpe, failure::bad_request, rec_.detail};
    }
    req_framing_ = framing.body;
    return std::nullopt;
}

// The bridge's own policy: the connection limit and the target (its origin form is what goes
// upstream).
std::optional<relay_session::refusal> relay_session::admit_request(std::string& origin_form)
{
    if (over_limit_)
        return refusal{flag_rj, failure::overloaded, {}};
    auto& req = req_parser_->get();
    switch (ctx_.policy.check_target(req.method(), req.target(), origin_form))
    {
    case header_policy::target_verdict::ok:
        return std::nullopt;
    case header_policy::target_verdict::connect_method:
        return refusal{flag_rj, failure::connect_method, {}};
    case header_policy::target_verdict::foreign_target:
        rec_.detail = "foreign target";
        return refusal{flag_rj, failure::foreign_target, std::string(req.target())};
    case header_policy::target_verdict::bad_target:
        rec_.detail = "invalid request target";
        return refusal{flag_dpe, failure::bad_request, "invalid request target"};
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

net::awaitable<std::optional<failure>> relay_session::connect_upstream()
{
    const auto& cfg = ctx_.config;
    phase_ = phase::connecting;
    set_deadline(cfg.connect_timeout);
    const auto hop = cfg.next_hop();

    upstream_ = tcp::socket(worker_.ioc);
    upstream_buf_.clear();
    error_code ec;
    const auto address = net::ip::make_address(hop.host, ec);
    if (!ec)
    {
        upstream_.open(address.is_v4() ? tcp::v4() : tcp::v6(), ec);
        if (!ec)
            std::tie(ec) = co_await upstream_.async_connect(tcp::endpoint(address, hop.port), nothrow);
    }
    else
    {
        tcp::resolver resolver(worker_.ioc);
        auto [rec, results] = co_await resolver.async_resolve(hop.host, std::to_string(hop.port), nothrow);
        if (rec)
        {
            rec_.detail = "resolve " + hop.host + ": " + rec.message();
            co_return connect_failure(rec, upstream_timed_out_);
        }
        if (upstream_timed_out_)
            co_return failure::proxy_connect_timeout;
        std::tie(ec, std::ignore) = co_await net::async_connect(upstream_, results, nothrow);
    }
    if (ec)
    {
        close_upstream();
        rec_.detail = "connect " + ctx_.config.next_hop_authority() + ": " + ec.message();
        co_return connect_failure(ec, upstream_timed_out_);
    }
    upstream_.set_option(tcp::no_delay(true), ec);
    co_return std::nullopt;
}

// Reads the next piece of the request body into relay_buf_ and points the body at it. On error
// answers the client (413/400) or notes the disconnect, and returns false.
net::awaitable<bool> relay_session::read_request_piece()
{
    const auto& cfg = ctx_.config;
    auto& body = req_parser_->get().body();
    for (;;)
    {
        if (req_parser_->is_done())
        {
            body.data = nullptr;
            body.size = 0;
            body.more = false;
            co_return true;
        }
        body.data = piece_;
        body.size = piece_cap_;
        set_deadline(cfg.body_idle_timeout);
        auto ec = co_await read_body_some(client_, client_buf_, *req_parser_, req_chunks_ ? &*req_chunks_ : nullptr);
        if (ec == http::error::need_buffer)
            ec = {};
        if (ec)
        {
            close_upstream();
            const auto v = decide_request_body_failure(ec);
            rec_.flags |= v.flags;
            if (v.answer == failure::bad_request)
                rec_.detail = "request body: " + ec.message();
            else if (!v.answer)
                rec_.detail = client_timed_out_ ? "client body idle timeout" : "client closed during the request body";
            if (v.answer)
            {
                // A named local: GCC mis-destroys a ?: temporary inside a co_await expression.
                std::string reply_detail;
                if (v.answer == failure::bad_request)
                    reply_detail = rec_.detail;
                co_await send_error(*v.answer, std::move(reply_detail), false);
            }
            co_return false;
        }
        char* const piece = piece_;
        const std::size_t got = piece_cap_ - body.size;
        body.more = !req_parser_->is_done();
        // A read that only consumed framing (a chunk header) has nothing to forward; an empty
        // piece would read as the last chunk to the serializer.
        if (got == 0 && body.more)
            continue;
        body.data = got > 0 ? piece : nullptr;
        body.size = got;
        hold_for_replay(piece, got);
        if (chat_scan_ && !chat_scan_->done())
            chat_scan_->feed({piece, got});
        rec_.bytes_in += got;
        obs_.piece(piece, got, 0, false);
        note_piece(got, client_buf_);
        co_return true;
    }
}

// The upstream response head, read by read_head: checked on the raw bytes (obs-fold, bare CR,
// NUL... which Boost 1.81 lets through), and exactly the head handed to the parser.
error_code relay_session::parse_response_head(const head_read& head)
{
    if (head.ec)
        return head.ec;
    if (head.raw != framing_error::none)
    {
        rec_.detail = "response head: " + std::string(describe(head.raw));
        return http::error::bad_field;
    }
    error_code ec;
    res_parser_->put(net::buffer(upstream_buf_.data().data(), head.len), ec);
    if (!ec && !res_parser_->is_header_done())
        ec = http::error::partial_message;
    if (!ec)
        upstream_buf_.consume(head.len);
    return ec;
}

// ---------------------------------------------------------------------------------------------
// The exchange with the next hop. Every failure goes through judge() (the facts) and
// core/exchange's decide_upstream_failure (the decision), then apply() (the I/O).

upstream_verdict relay_session::judge(upstream_stage stage, const error_code& ec, int attempt, bool has_body,
                                      std::size_t response_bytes, failure connect_result) const noexcept
{
    return decide_upstream_failure({.stage = stage,
                                    .error = classify_io_error(ec),
                                    .connect_result = connect_result,
                                    .timed_out = upstream_timed_out_,
                                    .client_gone = client_gone_ || client_timed_out_,
                                    .request_body = has_body,
                                    .reused = rec_.upstream_reused,
                                    .first_attempt = attempt == 0,
                                    .request_held = replay_held_,
                                    .response_bytes = response_bytes});
}

net::awaitable<relay_session::step> relay_session::apply(const upstream_verdict& v, std::string reply_detail)
{
    rec_.flags |= v.flags;
    stop_client_watch();
    switch (v.next)
    {
    case upstream_verdict::action::resend:
        co_return step{step::kind::resend};
    case upstream_verdict::action::close:
        co_return step{step::kind::done, outcome::close};
    case upstream_verdict::action::answer:
        break;
    }
    co_await send_error(v.answer, std::move(reply_detail), v.keep_client);
    co_return step{step::kind::done, v.keep_client ? outcome::keep_alive : outcome::close};
}

net::awaitable<relay_session::outcome> relay_session::relay(bool has_body, bool expect_continue)
{
    reset_request_body();
    if (has_body)
        if (const auto done = co_await read_first_request_piece(expect_continue))
            co_return *done;
    // The request, on a pooled connection or a fresh one; at most one resend.
    for (int attempt = 0;; ++attempt)
    {
        step s;
        if (!take_pooled(attempt))
            s = co_await connect_fresh(attempt, has_body);
        if (s.what == step::kind::proceed)
        {
            prepare_attempt(attempt, has_body);
            s = co_await send_request(attempt, has_body);
        }
        if (s.what == step::kind::proceed)
            s = co_await await_response_head(attempt, has_body);
        if (s.what == step::kind::done)
            co_return s.result;
        if (s.what == step::kind::proceed)
            break;
        rec_.retried = true;
    }
    release_replay(); // the first response byte is here: no resend from now on

    const unsigned status = res_parser_->get().result_int();
    const bool body_allowed = response_has_body(is_head_, status);
    body_framing upstream_framing;
    if (const auto e = check_response_framing(body_allowed, upstream_framing); e != framing_error::none)
    {
        close_upstream();
        rec_.detail = "response framing: " + std::string(describe(e));
        const auto v = decide_upstream_failure({.stage = upstream_stage::response_framing});
        co_return (co_await apply(v, rec_.detail)).result;
    }
    std::size_t prefix_len = 0;
    if (ctx_.config.via_proxy() && may_be_denial(status))
        if (const auto done = co_await answer_denial(status, prefix_len))
            co_return *done;
    co_return co_await relay_response(status, body_allowed, upstream_framing, prefix_len);
}

// The first body piece is read before anything goes upstream: framing errors found in it (bad
// chunk lines, trailers posing as framing, the body limit) are answered with nothing forwarded.
// Every piece sent is held (up to --replay-limit) until the first response byte, so that the
// request can be resent whole if a pooled connection turns out stale.
void relay_session::reset_request_body()
{
    auto& body = req_parser_->get().body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    release_replay();
    replay_held_ = true;
    req_chunks_.reset();
}

net::awaitable<std::optional<relay_session::outcome>> relay_session::read_first_request_piece(bool expect_continue)
{
    if (expect_continue)
    {
        static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [ec, n] = co_await net::async_write(client_, net::buffer(continue_line), nothrow);
        if (ec)
        {
            rec_.flags |= flag_dc;
            co_return outcome::close;
        }
    }
    if (req_framing_.type == body_framing::kind::chunked && !start_chunk_check(req_chunks_, client_buf_))
    {
        rec_.detail = std::string(describe(req_chunks_->error()));
        co_await refuse(flag_dpe, failure::bad_request, rec_.detail);
        co_return outcome::close;
    }
    if (!co_await read_request_piece())
        co_return outcome::close;
    co_return std::nullopt;
}

// A pooled connection (first attempt only): no coroutine on the path most requests take.
bool relay_session::take_pooled(int attempt)
{
    auto s = attempt == 0 ? worker_.pool.take() : std::nullopt;
    if (!s)
        return false;
    upstream_ = std::move(*s);
    upstream_buf_.clear();
    rec_.upstream_reused = true;
    return true;
}

// A fresh connection; a failure is answered.
net::awaitable<relay_session::step> relay_session::connect_fresh(int attempt, bool has_body)
{
    if (const auto f = co_await connect_upstream())
        co_return co_await apply(judge(upstream_stage::connect, {}, attempt, has_body, 0, *f), rec_.detail);
    rec_.upstream_reused = false;
    if (attempt == 0)
        release_replay(); // a fresh connection is never resent on: hold nothing
    co_return step{};
}

void relay_session::prepare_attempt(int attempt, bool has_body)
{
    if (!upstream_.non_blocking())
    {
        error_code ignored;
        upstream_.non_blocking(true, ignored); // for write_now's first, synchronous attempt
    }
    if (attempt > 0 && has_body)
    {
        // The resend carries every body byte held so far, then reads on from the client.
        auto& body = req_parser_->get().body();
        body.data = replay_.empty() ? nullptr : replay_.data();
        body.size = replay_.size();
        body.more = !req_parser_->is_done();
    }
}

// The head and the first body piece go out in one write, then one client read per write.
net::awaitable<relay_session::step> relay_session::send_request(int attempt, bool has_body)
{
    const auto& cfg = ctx_.config;
    phase_ = phase::request_body;
    set_deadline(cfg.body_idle_timeout);
    req_sr_.emplace(req_parser_->get());
    auto write_error = co_await write_now(upstream_, *req_sr_, false);
    if (write_error == http::error::need_buffer)
        write_error = {};
    if (attempt > 0)
        release_replay(); // no second resend: nothing more to hold
    while (!write_error && !req_sr_->is_done())
    {
        if (!co_await read_request_piece())
            co_return step{step::kind::done, outcome::close};
        set_deadline(cfg.body_idle_timeout);
        write_error = co_await write_now(upstream_, *req_sr_, false);
        if (write_error == http::error::need_buffer)
            write_error = {};
    }
    if (!write_error)
        co_return step{};
    const bool head_sent = req_sr_->is_header_done();
    error_code ignored;
    const std::size_t answered = upstream_.is_open() ? upstream_.available(ignored) : 0;
    close_upstream();
    const auto v = judge(upstream_stage::send_request, write_error, attempt, has_body, answered);
    if (v.next == upstream_verdict::action::answer)
        rec_.detail = (head_sent ? "write request body: " : "write request head: ") + write_error.message();
    co_return co_await apply(v, rec_.detail);
}

// The response head, watching the client meanwhile. Interim (1xx) answers are not relayed: the
// bridge answered 100 Continue itself.
net::awaitable<relay_session::step> relay_session::await_response_head(int attempt, bool has_body)
{
    phase_ = phase::response_head;
    set_deadline(ctx_.config.response_header_timeout);
    want_client_watch();
    for (;;)
    {
        res_parser_.emplace();
        res_parser_->body_limit(boost::none); // a stream may be as long as it likes
        res_parser_->header_limit(bridge_config::response_head_limit);
        if (is_head_)
            res_parser_->skip(true);
        const std::size_t before = upstream_buf_.size();
        const auto head = co_await read_head(upstream_, upstream_buf_, bridge_config::response_head_limit, false, false);
        const auto ec = parse_response_head(head);
        if (!ec)
        {
            const unsigned status = res_parser_->get().result_int();
            if (status >= 100 && status < 200)
                continue;
            co_return step{};
        }
        close_upstream();
        const auto v = judge(upstream_stage::response_head, ec, attempt, has_body, before + upstream_buf_.size());
        if (v.next != upstream_verdict::action::answer)
            co_return co_await apply(v, {});
        if (v.answer == failure::proxy_timeout)
        {
            rec_.detail = "no response headers in time";
            co_return co_await apply(v, {});
        }
        if (v.answer != failure::proxy_bad_response || rec_.detail.empty())
            rec_.detail = "response head: " + ec.message();
        co_return co_await apply(v, rec_.detail);
    }
}

// The response's framing decision (none: the head is relayed).
framing_error relay_session::check_response_framing(bool body_allowed, body_framing& framing)
{
    const auto decision = decide_response_framing(res_parser_->get().base());
    auto e = decision.error;
    if (e == framing_error::none && body_allowed && !frames_alike(decision.body, *res_parser_))
        e = framing_error::transfer_encoding_not_chunked;
    res_chunks_.reset();
    if (e == framing_error::none && body_allowed && decision.body.type == body_framing::kind::chunked &&
        !start_chunk_check(res_chunks_, upstream_buf_))
        e = res_chunks_->error();
    if (e == framing_error::none)
        framing = decision.body;
    return e;
}

// The proxy's own denial is answered by the bridge, not relayed. Reads the start of the body
// (kept in relay_buf_, `prefix_len` bytes, relayed first when it is no denial).
net::awaitable<std::optional<relay_session::outcome>> relay_session::answer_denial(unsigned status,
                                                                                    std::size_t& prefix_len)
{
    static_assert(denial_body_prefix_bytes <= relay_buffer_size, "the denial prefix is read into relay_buf_");
    auto& res = res_parser_->get();
    while (!res_parser_->is_done() && prefix_len < denial_body_prefix_bytes)
    {
        auto& body = res.body();
        body.data = relay_buf_ + prefix_len;
        body.size = denial_body_prefix_bytes - prefix_len;
        auto ec = co_await read_body_some(upstream_, upstream_buf_, *res_parser_, res_chunks_ ? &*res_chunks_ : nullptr);
        if (ec == http::error::need_buffer)
            ec = {};
        prefix_len = denial_body_prefix_bytes - body.size;
        if (!ec)
            continue;
        close_upstream();
        const auto v = judge(upstream_stage::denial_prefix, ec, 1, true, 1);
        if (v.next == upstream_verdict::action::answer)
            rec_.detail = "response body: " + ec.message();
        co_return (co_await apply(v, rec_.detail)).result;
    }
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& f : res)
        headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    const auto denial = recognise_denial(status, res.reason(), headers, std::string_view(relay_buf_, prefix_len));
    if (!denial)
        co_return std::nullopt;
    stop_client_watch();
    rec_.flags |= flag_pd;
    rec_.detail = denial->kind + ": " + denial->detail;
    // Keep the proxy connection only if the denial page was read completely, and exactly.
    return_upstream(res_parser_->is_done() && res_parser_->keep_alive(), false);
    const failure what = denial->login_refused ? failure::proxy_auth_refused : failure::proxy_denied;
    const auto reply = make_error_reply(what, ctx_.config);
    ctx_.log.write(log_level::warn, denial->login_refused ? "proxy refused the bridge's login" : "proxy denied the request",
                   {{"proxy", ctx_.config.next_hop_authority()},
                    {"denial", denial->kind},
                    {"reason", denial->detail},
                    {"fix", reply.fix}});
    co_await send_error(what, denial->detail, client_keep_alive_);
    co_return client_keep_alive_ ? outcome::keep_alive : outcome::close;
}

// Back to the pool when HTTP allows and nothing is left over (out of step otherwise), or closed.
void relay_session::return_upstream(bool upstream_keep_alive, bool close_delimited)
{
    if (may_pool(upstream_keep_alive, close_delimited, upstream_.is_open(), upstream_buf_.size()))
        worker_.pool.put(std::move(upstream_));
    else
        close_upstream();
}

// Relays the response: each upstream read followed by its client write, the framing towards the
// client derived from the decision (never the fields as received).
net::awaitable<relay_session::outcome> relay_session::relay_response(unsigned status, bool body_allowed,
                                                                     const body_framing& upstream_framing,
                                                                     std::size_t prefix_len)
{
    auto& res = res_parser_->get();
    const auto plan = prepare_response(status, body_allowed, upstream_framing);
    phase_ = phase::response_body;
    set_deadline(ctx_.config.body_idle_timeout);
    res_sr_.emplace(res);
    head_sent_ = false;
    bool prefix_pending = prefix_len > 0;
    while (!res_sr_->is_done())
    {
        auto& body = res.body();
        if (prefix_pending)
        {
            prefix_pending = false;
            body.data = relay_buf_;
            body.size = prefix_len;
            body.more = !res_parser_->is_done();
        }
        else if (!res_parser_->is_done())
        {
            const auto piece = co_await read_response_piece(status, plan.client_close_delimited);
            if (!piece)
                co_return outcome::close;
            if (!*piece)
                continue; // only framing was read (see read_request_piece)
        }
        else
        {
            body.data = nullptr;
            body.size = 0;
            body.more = false;
        }
        account_response_piece(plan.count_sse);
        const bool with_head = !head_sent_;
        auto ec = co_await write_now(client_, *res_sr_, false);
        if (ec == http::error::need_buffer)
            ec = {};
        if (with_head && res_sr_->is_header_done())
            note_head_sent(status);
        if (ec)
        {
            rec_.flags |= flag_dc;
            rec_.detail = "client write: " + ec.message();
            close_upstream();
            co_return outcome::close;
        }
    }
    stop_client_watch();
    return_upstream(res_parser_->keep_alive(), body_allowed && upstream_framing.type == body_framing::kind::none);
    if (!plan.keep)
    {
        co_await lingering_close();
        co_return outcome::close;
    }
    co_return outcome::keep_alive;
}

// The head goes out with the first body piece when that piece is already buffered (one write
// instead of two), and alone before any wait for upstream bytes, so the client never waits for
// its head on the model.
net::awaitable<bool> relay_session::send_response_head(unsigned status)
{
    const auto ec = co_await write_now(client_, *res_sr_, true);
    if (ec)
    {
        close_upstream();
        rec_.flags |= flag_dc;
        co_return false;
    }
    note_head_sent(status);
    co_return true;
}

void relay_session::note_head_sent(unsigned status)
{
    head_sent_ = true;
    obs_.first_byte(status);
}

// Reads the next response body piece and points the body at it: true when there is a piece,
// false when only framing was read, nullopt when the exchange is over (cut or client gone).
net::awaitable<std::optional<bool>> relay_session::read_response_piece(unsigned status, bool client_close_delimited)
{
    auto& body = res_parser_->get().body();
    char* const piece = piece_;
    const std::size_t cap = piece_cap_;
    body.data = piece;
    body.size = cap;
    set_deadline(ctx_.config.body_idle_timeout);
    error_code ec;
    if (!parse_buffered(upstream_buf_, *res_parser_, ec))
    {
        if (!head_sent_ && !co_await send_response_head(status))
            co_return std::nullopt;
        // About to wait on upstream (a stream): the request's buffer is not needed.
        if (client_buf_.size() == 0 && client_buf_.capacity() > 0)
            client_buf_.shrink_to_fit();
        ec = co_await read_body_some(upstream_, upstream_buf_, *res_parser_, res_chunks_ ? &*res_chunks_ : nullptr);
    }
    if (ec == http::error::need_buffer)
        ec = {};
    if (ec && !head_sent_ && !co_await send_response_head(status))
        co_return std::nullopt;
    if (ec)
    {
        // The head is out: the only honest signal left is a cut connection (no last chunk).
        rec_.flags |= judge(upstream_stage::response_body, ec, 1, true, 1).flags;
        rec_.detail = "response body: " + ec.message();
        close_upstream();
        if (client_close_delimited && client_.is_open())
        {
            error_code ignored;
            client_.set_option(net::socket_base::linger(true, 0), ignored); // RST, not a clean EOF
        }
        co_return std::nullopt;
    }
    body.size = cap - body.size;
    body.more = !res_parser_->is_done();
    if (body.size == 0 && body.more)
        co_return false;
    body.data = body.size > 0 ? piece : nullptr;
    note_piece(body.size, upstream_buf_);
    co_return true;
}

// Counts and captures the piece the body points at, before it is written.
void relay_session::account_response_piece(bool count_sse)
{
    auto& body = res_parser_->get().body();
    std::size_t events = 0;
    if (count_sse && body.size > 0)
        events = sse_.feed(std::string_view(static_cast<const char*>(body.data), body.size));
    rec_.sse_events += events;
    rec_.bytes_out += body.size;
    if (body.size > 0)
        obs_.piece(body.data, body.size, events, true);
    set_deadline(ctx_.config.body_idle_timeout);
}

// The head the client gets: the hop-by-hop rewrite, the framing derived from the decision
// (never the fields as received), and keep-alive.
relay_session::response_plan relay_session::prepare_response(unsigned status, bool body_allowed,
                                                             const body_framing& upstream_framing)
{
    auto& res = res_parser_->get();
    obs_.upstream_response(status, res.reason(), res.base());
    ctx_.policy.rewrite_response(res.base());
    const body_framing out = client_framing(upstream_framing, body_allowed, client_version_);
    response_plan plan;
    plan.keep = keep_after_response(client_keep_alive_, ctx_.draining.load(), body_allowed, out);
    apply_framing(res.base(), out);
    res.version(11);
    res.keep_alive(plan.keep);
    plan.client_close_delimited = body_allowed && out.type == body_framing::kind::none;
    plan.count_sse = istarts_with(res[http::field::content_type], "text/event-stream");
    obs_.response(status, res.base(), plan.count_sse);
    return plan;
}

// ---------------------------------------------------------------------------------------------

namespace {

// The bridge's own answer: the JSON error with its status or, when `chat_stream` is set (a failure
// the user must act on, in a chat completion), a chat reply carrying the same message in the form
// the request asked for (core/chat_error.hpp).
http::response<http::string_body> error_response(const error_reply& reply, std::optional<bool> chat_stream)
{
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    if (!chat_stream)
    {
        res.reason(reason_phrase(reply.status));
        res.set(http::field::content_type, "application/json");
        res.body() = reply.body();
    }
    else
    {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch());
        auto chat = make_chat_error_response(reply, *chat_stream, now.count());
        res.result(http::status::ok);
        res.set(http::field::content_type, chat.content_type);
        if (*chat_stream)
            res.set(http::field::cache_control, "no-cache");
        res.set(chat_error_header, reply.code);
        res.body() = std::move(chat.body);
    }
    res.set(http::field::via, header_policy::via_value);
    res.prepare_payload();
    return res;
}

} // namespace

net::awaitable<void> relay_session::send_error(failure what, std::string detail, bool keep_alive)
{
    const auto reply = make_error_reply(what, ctx_.config, detail);
    // What the metrics count and the failure journal keeps as this hop's last failure.
    rec_.answered = what;
    rec_.failure_kind = to_string(what);
    rec_.failure_hop = failure_hop(what, !ctx_.config.via_proxy());
    rec_.failure_message = reply.message;
    rec_.failure_fix = reply.fix;
    rec_.failure_status = reply.status;
    ctx_.log.note_failure(rec_); // before the answer: whoever has read it finds it kept
    keep_alive = keep_client_connection(keep_alive, client_keep_alive_, ctx_.draining.load());
    const auto stream = chat_scan_ ? chat_scan_->stream() : std::nullopt;
    const bool as_chat = deliver_as_chat(ctx_.config.error_delivery_mode, chat_deliverable(what), chat_scan_.has_value(), stream);
    if (as_chat)
        rec_.detail += rec_.detail.empty() ? "answered as a chat reply" : "; answered as a chat reply";
    auto res = error_response(reply, as_chat ? stream : std::nullopt);
    const unsigned status = res.result_int();
    res.keep_alive(keep_alive);
    phase_ = phase::replying;
    set_deadline(ctx_.config.body_idle_timeout);
    obs_.generated_response(status, res.base(), res.body());
    if (client_.is_open())
    {
        auto [ec, n] = co_await http::async_write(client_, res, nothrow);
        if (!ec)
        {
            obs_.first_byte(status);
            rec_.bytes_out += res.body().size();
        }
        else
            rec_.flags |= flag_dc;
    }
    if (!keep_alive)
        co_await lingering_close();
}

// Half-close, then read and drop what the client still sends for a moment: closing with unread
// bytes would reset the connection and could destroy the reply before the client reads it.
net::awaitable<void> relay_session::lingering_close()
{
    if (!client_.is_open())
        co_return;
    error_code ec;
    client_.shutdown(tcp::socket::shutdown_send, ec);
    phase_ = phase::replying;
    set_deadline(ctx_.config.linger_timeout());
    std::size_t drained = 0;
    while (!ec && drained < bridge_config::linger_bytes && client_.is_open())
    {
        std::size_t n = 0;
        std::tie(ec, n) = co_await client_.async_read_some(net::buffer(relay_buf_), nothrow);
        drained += n;
    }
    close_client();
}

// ---------------------------------------------------------------------------------------------

// --max-connections is reached and this connection only waits for a request head: it makes room
// for a new one, as nginx reuses its idle connections. A head cut short is logged as DPE
// ("client header deadline"): the client was too slow to keep its place.
void relay_session::evict()
{
    client_timed_out_ = true;
    close_client();
}

} // namespace mrb
