#include "client_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

namespace mrb::scenarios {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct client_connection::impl {
  net::io_context ioc;
  tcp::socket sock{ioc};
  std::string leftover;  // bytes of the next response read together with the previous one
  bool open = false;
  bool broken = false;

  // Runs the context until `done` or the deadline; on the deadline cancels the socket's
  // operations and returns false.
  bool wait(const bool& done, clock_type::time_point deadline) {
    ioc.restart();
    while (!done) {
      if (ioc.run_one_until(deadline) == 0 && !done) {
        boost::system::error_code ignored;
        sock.cancel(ignored);
        ioc.restart();
        ioc.run();
        return false;
      }
    }
    return true;
  }
};

client_connection::client_connection() : impl_(std::make_unique<impl>()) {}
client_connection::~client_connection() { close(); }

bool client_connection::connect(std::uint16_t port, std::chrono::milliseconds timeout,
                                std::string& error) {
  bool done = false;
  boost::system::error_code ec;
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  impl_->sock.async_connect(ep, [&](boost::system::error_code e) { ec = e; done = true; });
  if (!impl_->wait(done, clock_type::now() + timeout)) ec = net::error::timed_out;
  if (ec) {
    error = ec.message();
    impl_->sock.close(ec);
    return false;
  }
  impl_->sock.set_option(tcp::no_delay(true), ec);
  impl_->open = true;
  return true;
}

bool client_connection::usable() const { return impl_->open && !impl_->broken; }

void client_connection::close() {
  if (!impl_ || !impl_->open) return;
  boost::system::error_code ignored;
  impl_->sock.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->sock.close(ignored);
  impl_->open = false;
}

namespace {

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

}  // namespace

exchange_record client_connection::exchange(const exchange_plan& plan) {
  exchange_record rec;
  rec.id = plan.id;
  rec.request_head = plan.head;
  rec.request_body_bytes = plan.body.size();
  rec.connected = impl_->open;
  auto& s = *impl_;
  const auto t0 = clock_type::now();
  const auto deadline = t0 + plan.deadline;

  auto write_all = [&](const std::string& bytes) -> boost::system::error_code {
    if (bytes.empty()) return {};
    bool done = false;
    boost::system::error_code ec;
    net::async_write(s.sock, net::buffer(bytes),
                     [&](boost::system::error_code e, std::size_t) { ec = e; done = true; });
    if (!s.wait(done, deadline)) ec = net::error::timed_out;
    return ec;
  };

  // A write error is not the end: the bridge may have answered (400/431) and closed while we
  // were still sending, and that answer is what the scenario wants to see.
  auto wec = write_all(plan.head);
  if (!wec && !plan.body.empty()) {
    if (plan.send_gap.count() > 0) std::this_thread::sleep_for(plan.send_gap);
    wec = write_all(plan.body);
  }
  if (wec) rec.end_detail = "write: " + wec.message();
  if (plan.half_close) {
    boost::system::error_code ignored;
    s.sock.shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::optional<http::response_parser<http::string_body>> parser;
  auto new_parser = [&] {
    parser.emplace();
    parser->body_limit(boost::none);
    parser->header_limit(256 * 1024);
    parser->eager(true);
    if (plan.head_request) parser->skip(true);
  };
  new_parser();

  sse_splitter splitter;
  std::string buf = std::move(s.leftover);
  s.leftover.clear();
  std::array<char, 64 * 1024> scratch{};
  long long events_seen = 0;

  auto take_body = [&] {
    auto& body = parser->get().body();
    if (body.empty()) return;
    const double t = ms_since(t0);
    rec.body_bytes += body.size();
    if (rec.body.size() < exchange_record::body_keep_limit)
      rec.body.append(body, 0, std::min(body.size(), exchange_record::body_keep_limit - rec.body.size()));
    for (auto& ev : splitter.feed(body)) {
      rec.events.push_back({t, std::move(ev)});
      ++events_seen;
    }
    body.clear();  // string_body appends at the current size, so clearing keeps memory flat
  };
  auto should_abort = [&] {
    // after_ms counts from the first byte sent, so a client can give up before any head.
    if (plan.abort_after_ms >= 0 && ms_since(t0) >= plan.abort_after_ms) return true;
    if (!rec.got_head) return false;
    if (plan.abort_after_events >= 0 && events_seen >= plan.abort_after_events) return true;
    if (plan.abort_after_bytes >= 0 && static_cast<long long>(rec.body_bytes) >= plan.abort_after_bytes) return true;
    return false;
  };
  auto finish = [&](std::string end, std::string detail = {}) {
    rec.end = std::move(end);
    if (!detail.empty()) rec.end_detail = std::move(detail);
    rec.t_end_ms = ms_since(t0);
    rec.partial_event = splitter.has_partial();
  };

  for (;;) {
    // Parse whatever is buffered.
    while (!buf.empty()) {
      boost::system::error_code ec;
      const auto n = parser->put(net::buffer(buf), ec);
      if (std::getenv("MRB_SCN_DEBUG"))
        std::fprintf(stderr, "put %zu of %zu: %s header_done=%d done=%d\n", n, buf.size(), ec.message().c_str(),
                     parser->is_header_done(), parser->is_done());
      buf.erase(0, n);
      if (parser->is_header_done() && !rec.got_head) {
        const auto& msg = parser->get();
        const int st = static_cast<int>(msg.result_int());
        if (st >= 100 && st < 200 && st != 101) {
          rec.informational.push_back(st);
          new_parser();
          continue;
        }
        rec.got_head = true;
        rec.status = st;
        rec.reason = std::string(msg.reason());
        rec.t_head_ms = ms_since(t0);
        for (const auto& f : msg) rec.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
      take_body();
      if (ec == http::error::need_more) break;
      if (ec) {
        finish("parse_error", ec.message());
        s.broken = true;
        return rec;
      }
      if (parser->is_done()) {
        rec.complete = true;
        s.leftover = std::move(buf);
        finish("complete");
        if (!parser->keep_alive()) s.broken = true;
        return rec;
      }
      if (n == 0) break;
    }
    if (should_abort()) {
      rec.aborted_by_client = true;
      rec.t_abort_ms = ms_since(t0);
      close();
      finish("aborted");
      return rec;
    }
    // Read more, bounded by the exchange deadline and any abort timer.
    auto until = deadline;
    if (plan.abort_after_ms >= 0) until = std::min(until, t0 + std::chrono::milliseconds(plan.abort_after_ms));
    bool done = false;
    boost::system::error_code ec;
    std::size_t n = 0;
    s.sock.async_read_some(net::buffer(scratch), [&](boost::system::error_code e, std::size_t k) {
      ec = e;
      n = k;
      done = true;
    });
    if (!s.wait(done, until)) {
      if (should_abort()) continue;  // the abort timer fired: loop to hang up
      s.broken = true;
      finish("timeout");
      return rec;
    }
    if (n > 0) {
      rec.reads.push_back({ms_since(t0), n});
      buf.append(scratch.data(), n);
    }
    if (ec == net::error::eof) {
      rec.connection_closed = true;
      s.broken = true;
      // Parse what arrived with the FIN (a partial chunk stays unparsed: the message is cut).
      if (!buf.empty()) {
        boost::system::error_code pec;
        const auto k = parser->put(net::buffer(buf), pec);
        buf.erase(0, k);
        take_body();
        if (!rec.got_head && parser->is_header_done()) {
          // A head that arrived together with the FIN is recorded by the loop above next time;
          // record it here since there is no next time.
          const auto& msg = parser->get();
          rec.got_head = true;
          rec.status = static_cast<int>(msg.result_int());
          rec.reason = std::string(msg.reason());
          rec.t_head_ms = ms_since(t0);
          for (const auto& f : msg) rec.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        }
      }
      if (parser->is_done()) {
        rec.complete = true;
        finish("complete");
        return rec;
      }
      // Close-delimited bodies end here legitimately.
      if (rec.got_head && buf.empty()) {
        boost::system::error_code pec;
        parser->put_eof(pec);
        take_body();
        if (!pec && parser->is_done()) {
          rec.complete = true;
          finish("complete");
          return rec;
        }
      }
      finish("eof");
      return rec;
    }
    if (ec) {
      rec.connection_closed = true;
      s.broken = true;
      if (!buf.empty()) {
        // Parse the tail, then report the reset.
        boost::system::error_code pec;
        parser->put(net::buffer(buf), pec);
        take_body();
        buf.clear();
      }
      finish(ec == net::error::connection_reset ? "reset" : "error", ec.message());
      return rec;
    }
  }
}

}  // namespace mrb::scenarios
