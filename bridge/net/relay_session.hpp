#pragma once
// One client connection: reads requests, checks them, relays each through the next hop and
// streams the answer back (each upstream read followed by its client write: backpressure, no
// coalescing). Runs entirely on its worker's single-threaded io_context.

#include "access_log.hpp"
#include "exchange_observer.hpp"
#include "core/chat_error.hpp"
#include "core/error_reply.hpp"
#include "core/exchange.hpp"
#include "core/framing_check.hpp"
#include "core/sse_counter.hpp"
#include "relay_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

namespace mrb {

class relay_session : public std::enable_shared_from_this<relay_session>, private client_watch_sweeper::target
{
public:
    using tcp = boost::asio::ip::tcp;
    using clock = std::chrono::steady_clock;

    /// over_limit: the connection exceeds --max-connections; answer 503 to its first request.
    relay_session(tcp::socket client, relay_context& ctx, worker& w, bool over_limit);
    ~relay_session();
    relay_session(const relay_session&) = delete;
    relay_session& operator=(const relay_session&) = delete;

    void start();
    /// Graceful stop: an idle keep-alive connection closes now, a busy one after its response.
    void on_drain();

    /// Waiting for a request head (a new connection, an idle keep-alive one, or a head still
    /// arriving): closing it loses no exchange, so it may make room under --max-connections.
    /// After a complete head, phase stays `head` only while a body is read (parser not done).
    bool awaiting_request() const noexcept
    {
        return client_.is_open() &&
               (phase_ == phase::idle || (phase_ == phase::head && (!req_parser_ || req_parser_->is_done())));
    }
    /// When the current wait times out (ranks connections for eviction).
    clock::time_point deadline() const noexcept { return deadline_; }
    /// Closes a connection that awaiting_request(), to admit a new one (on its worker's thread).
    void evict();

private:
    using phase = exchange_phase;
    enum class outcome { keep_alive, close };
    /// Where an exchange stands after one of its steps: carry on, resend, or over with `result`.
    struct step
    {
        enum class kind { proceed, resend, done } what = kind::proceed;
        outcome result = outcome::close;
    };
    struct head_read
    {
        boost::system::error_code ec;
        std::size_t len = 0;                   ///< bytes of the head, its blank line included
        framing_error raw = framing_error::none; ///< check_raw_head on those bytes
    };
    template <class T>
    using task = boost::asio::awaitable<T>;
    using error_code = boost::system::error_code;

    task<void> run(std::shared_ptr<relay_session> self);
    task<void> watchdog(std::shared_ptr<relay_session> self);
    // The client side: one request head, checked and admitted.
    task<head_read> read_head(tcp::socket& from, boost::beast::flat_buffer& buf, std::size_t limit, bool request,
                              bool first);
    task<outcome> serve_one(bool first);
    void note_head_cut();
    struct refusal
    {
        unsigned flags;
        failure what;
        std::string detail;
    };
    std::optional<refusal> check_request_head(const head_read& head);
    std::optional<refusal> parse_request_head(std::size_t head_len);
    std::optional<refusal> admit_request(std::string& origin_form);
    task<void> refuse(unsigned flags, failure what, std::string detail);
    void begin_request();
    // The next hop: request out, response head in; every failure through judge() and apply().
    task<outcome> relay(bool has_body, bool expect_continue);
    void reset_request_body();
    task<std::optional<outcome>> read_first_request_piece(bool expect_continue);
    task<bool> read_request_piece();
    bool take_pooled(int attempt);
    task<step> connect_fresh(int attempt, bool has_body);
    void prepare_attempt(int attempt, bool has_body);
    task<std::optional<failure>> connect_upstream();
    task<step> send_request(int attempt, bool has_body);
    task<step> await_response_head(int attempt, bool has_body);
    error_code parse_response_head(const head_read& head);
    upstream_verdict judge(upstream_stage stage, const error_code& ec, int attempt, bool has_body,
                           std::size_t response_bytes, failure connect_result = failure::proxy_unreachable) const noexcept;
    task<step> apply(const upstream_verdict& v, std::string reply_detail);
    // The response: framing, a proxy denial, then the body relayed piece by piece.
    framing_error check_response_framing(bool body_allowed, body_framing& framing);
    task<std::optional<outcome>> answer_denial(unsigned status, std::size_t& prefix_len);
    task<outcome> relay_response(unsigned status, bool body_allowed, const body_framing& upstream_framing,
                                 std::size_t prefix_len);
    task<bool> send_response_head(unsigned status);
    void note_head_sent(unsigned status);
    task<std::optional<bool>> read_response_piece(unsigned status, bool client_close_delimited);
    void account_response_piece(bool count_sse);
    struct response_plan
    {
        bool keep = false;                   ///< the client connection stays open
        bool client_close_delimited = false; ///< the close ends the body towards the client
        bool count_sse = false;
    };
    response_plan prepare_response(unsigned status, bool body_allowed, const body_framing& upstream_framing);
    void return_upstream(bool upstream_keep_alive, bool close_delimited);
    task<void> send_error(failure what, std::string detail, bool keep_alive);
    task<void> lingering_close();

    void set_deadline(std::chrono::milliseconds d);
    void on_deadline();
    void want_client_watch();
    void on_watch_due() override;
    void start_client_watch();
    void stop_client_watch();
    void on_client_readable(boost::system::error_code ec, unsigned generation);
    void close_upstream() noexcept;
    void close_client() noexcept;
    void hold_for_replay(const void* data, std::size_t size);
    void release_replay() noexcept;

    relay_context& ctx_;
    worker& worker_;
    tcp::socket client_;
    tcp::socket upstream_;
    boost::asio::steady_timer timer_;
    clock::time_point deadline_ = clock::time_point::max();
    clock::time_point armed_for_ = clock::time_point::max(); ///< what the watchdog's timer waits for
    phase phase_ = phase::idle;
    bool over_limit_;
    bool closed_ = false;

    // Why sockets were closed under us (decides the flag and the status).
    bool client_gone_ = false;
    bool client_timed_out_ = false;
    bool upstream_timed_out_ = false;

    // Logs "waiting for the response head" once, when the head is slow (worker's slow_head_sweeper).
    struct slow_head_notice final : client_watch_sweeper::target
    {
        explicit slow_head_notice(relay_session& s) : session(s) {}
        void on_watch_due() override;
        relay_session& session;
        bool pending = false;
    };
    slow_head_notice slow_head_{*this};

    bool watch_wanted_ = false;  ///< waiting on upstream: asked the sweeper for a client watch
    bool watching_ = false;      ///< an async_wait on the client is pending
    unsigned watch_generation_ = 0;

    boost::beast::flat_buffer client_buf_;
    boost::beast::flat_buffer upstream_buf_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::buffer_body>> req_parser_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> res_parser_;
    std::optional<boost::beast::http::request_serializer<boost::beast::http::buffer_body>> req_sr_;
    std::optional<boost::beast::http::response_serializer<boost::beast::http::buffer_body>> res_sr_;
    // Chunked bodies are checked byte by byte as they arrive, both ways (empty when not chunked).
    std::optional<chunk_checker> req_chunks_;
    std::optional<chunk_checker> res_chunks_;
    body_framing req_framing_;
    // The request body sent so far, held until the first response byte so that a request that
    // met a stale pooled connection can be resent whole (core/retry_policy.hpp).
    std::string replay_;
    bool replay_held_ = true; ///< false once the body outgrew --replay-limit

    // Per-request state. The observer keeps the access record and the capture.
    exchange_observer obs_;
    access_record& rec_ = obs_.record;
    bool request_started_ = false;
    unsigned client_version_ = 11;
    bool client_keep_alive_ = true;
    bool is_head_ = false;
    bool head_sent_ = false; ///< the response head has gone to the client
    sse_counter sse_;
    // A chat completion's `stream` member, read as its body passes: a failure the user must act
    // on is answered in the same form (core/chat_error.hpp). Empty for other requests.
    std::optional<stream_flag_scanner> chat_scan_;

    // The relay buffer: each read is followed by its write, so one is enough. Streams and small
    // bodies use the 2 KiB one inside the session (an SSE event is a few hundred bytes, and
    // every open stream holds this buffer and a read buffer of the same size); a body whose
    // pieces keep filling it (a large download or upload, OpenClaw's ~33 kB requests) moves to
    // a 64 KiB one for the rest of the exchange: far fewer reads, writes and wake-ups, and
    // still a fixed bound per connection.
    static constexpr std::size_t relay_buffer_size = 2048;
    static constexpr std::size_t bulk_buffer_size = 64 * 1024;
    void note_piece(std::size_t got, boost::beast::flat_buffer& source);
    void end_bulk();
    char relay_buf_[relay_buffer_size];
    std::unique_ptr<char[]> bulk_buf_;
    char* piece_ = relay_buf_;                 ///< where the next body piece is read
    std::size_t piece_cap_ = relay_buffer_size;
    unsigned big_pieces_ = 0;                  ///< consecutive pieces of at least half piece_cap_
};

} // namespace mrb
