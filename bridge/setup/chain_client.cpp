#include "bridge/setup/chain_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>

#include "bridge/core/bridge_config.hpp"
#include "bridge/core/denial.hpp"
#include "bridge/core/header_policy.hpp"
#include "bridge/core/hop_wording.hpp"
#include "bridge/core/text.hpp"

namespace mrb::setup {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr std::uint64_t body_limit = 16 * 1024 * 1024;

// The first line of a body, printable and short, for messages.
std::string first_line(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  if (line.size() > 160) line = line.substr(0, 160) + "...";
  for (auto& c : line) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return line;
}

// Runs the io_context until the pending operation completes; the stream's or the timer's
// expiry cancels it, so this never blocks past the deadline.
void run(net::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

// Resolves and connects to the next hop (the proxy, or the target when direct), within the
// connect timeout.
bool open_next_hop(const chain_client& client, const bridge_config& config, net::io_context& ioc,
                   beast::tcp_stream& stream, hop_failure& failure) {
  tcp::resolver resolver(ioc);
  const auto hop = config.next_hop();
  const std::string host = hop.host;
  const auto port = std::to_string(hop.port);

  error_code ec;
  tcp::resolver::results_type endpoints;
  net::steady_timer resolve_deadline(ioc, config.connect_timeout);
  resolver.async_resolve(host, port, [&](error_code e, tcp::resolver::results_type r) {
    ec = e, endpoints = std::move(r);
    resolve_deadline.cancel();
  });
  resolve_deadline.async_wait([&](error_code e) {
    if (!e) resolver.cancel();
  });
  run(ioc);
  if (ec) {
    failure = client.describe(hop_problem::proxy_unreachable, "cannot resolve " + host + ": " + ec.message());
    return false;
  }
  stream.expires_after(config.connect_timeout);
  stream.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
  run(ioc);
  if (ec == beast::error::timeout) {
    failure = client.describe(hop_problem::proxy_connect_timeout, "");
    return false;
  }
  if (ec == net::error::connection_refused) {
    failure = client.describe(hop_problem::proxy_refused, ec.message());
    return false;
  }
  if (ec) {
    failure = client.describe(hop_problem::proxy_unreachable, ec.message());
    return false;
  }
  return true;
}

}  // namespace

const std::string* chain_response::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (text::iequals(k, name)) return &v;
  }
  return nullptr;
}

chain_client::chain_client(const bridge_config& config) : config_(config) {}

// The connection failures and the denial are worded by core (the bridge's replies say the same);
// the rest are the setup commands' own: the bridge has no such failure.
hop_failure chain_client::describe(hop_problem problem, const std::string& detail) const {
  const bool direct = !config_.via_proxy();
  const std::string target = config_.target_authority();
  const std::string proxy = direct ? std::string() : wording::next_hop(config_);
  const std::string runner = wording::runner(config_);
  const std::string cause = wording::with_detail(detail);
  hop_failure f;
  f.problem = problem;
  switch (problem) {
    case hop_problem::proxy_unreachable:
      f.message = wording::next_hop_failure(failure::proxy_unreachable, config_, detail);
      f.fix = wording::address_fix(config_);
      break;
    case hop_problem::proxy_refused:
      f.message = wording::next_hop_failure(failure::proxy_refused, config_, detail);
      f.fix = wording::address_fix(config_);
      break;
    case hop_problem::proxy_connect_timeout:
      f.message = wording::next_hop_failure(failure::proxy_connect_timeout, config_, detail);
      f.fix = wording::address_fix(config_);
      break;
    case hop_problem::proxy_denied:
      f.message = wording::next_hop_failure(failure::proxy_denied, config_, detail);
      f.fix = wording::allow_fix(config_);
      break;
    case hop_problem::runner_unreachable:
      f.message = direct ? runner + " is not answering" + cause
                         : proxy + " cannot reach " + runner + cause;
      f.fix = wording::runner_port_fix(config_);
      break;
    case hop_problem::timeout:
      f.message = "no answer from " + runner + (direct ? "" : " through " + proxy) + " in time" + cause;
      f.fix = "check the Model Runner on the host (docker model status); a model may still be loading";
      break;
    case hop_problem::bad_answer:
      f.message = "unexpected answer from " + runner + (direct ? "" : " through " + proxy) + cause;
      f.fix = "check --target: " + target + " must be Docker Model Runner's TCP port (12434 by default)";
      break;
  }
  return f;
}

bool chain_client::connect_only(hop_failure& failure) const {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  return open_next_hop(*this, config_, ioc, stream, failure);
}

std::optional<chain_response> chain_client::request(const std::string& method, const std::string& path,
                                                    const std::string& body, std::chrono::milliseconds timeout,
                                                    hop_failure& failure) const {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  if (!open_next_hop(*this, config_, ioc, stream, failure)) return std::nullopt;
  const bool direct = !config_.via_proxy();
  error_code ec;

  // Target form, Host and Proxy-Authorization exactly as the bridge sends them.
  http::request<http::string_body> req;
  req.method(http::string_to_verb(method));
  req.version(11);
  header_policy(config_).address_request(req, path);
  req.set(http::field::user_agent, "model-runner-bridge-setup");
  req.set(http::field::accept, "application/json");
  if (!body.empty() || method == "POST") {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  const auto started = std::chrono::steady_clock::now();
  stream.expires_after(timeout);
  http::async_write(stream, req, [&](error_code e, std::size_t) { ec = e; });
  run(ioc);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  if (!ec) {
    http::async_read(stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
    run(ioc);
  }
  if (ec == beast::error::timeout) {
    failure = describe(hop_problem::timeout, "waited " + wording::duration(timeout));
    return std::nullopt;
  }
  if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
      ec == http::error::partial_message) {
    // Closed without an answer: through a proxy, that is the proxy giving up on the upstream.
    failure = describe(hop_problem::runner_unreachable,
                       (direct ? "the Model Runner" : "the proxy") + std::string(" closed the connection without an answer"));
    return std::nullopt;
  }
  if (ec) {
    failure = describe(hop_problem::bad_answer, "invalid HTTP: " + ec.message());
    return std::nullopt;
  }
  chain_response out;
  const auto& res = parser.get();
  out.status = res.result_int();
  out.reason = std::string(res.reason());
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = res.body();
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

std::optional<hop_failure> chain_client::classify(const chain_response& response) const {
  if (response.status >= 200 && response.status < 300) return std::nullopt;
  if (config_.via_proxy()) {
    const auto prefix = std::string_view(response.body).substr(0, denial_body_prefix_bytes);
    if (const auto denial = recognise_denial(response.status, response.reason, response.headers, prefix)) {
      return describe(hop_problem::proxy_denied,
                      denial->detail.empty() ? "HTTP " + std::to_string(response.status) : denial->detail);
    }
    // The Model Runner's listings never answer 502-504 themselves: that is the proxy failing
    // to reach it (Squid: 503 ERR_CONNECT_FAIL; Docker's proxy: a 502).
    if (response.status == 502 || response.status == 503 || response.status == 504) {
      std::string detail = "HTTP " + std::to_string(response.status);
      if (const auto* squid = response.header("X-Squid-Error")) detail += " " + *squid;
      else if (!first_line(response.body).empty()) detail += ": " + first_line(response.body);
      return describe(hop_problem::runner_unreachable, detail);
    }
  }
  std::string detail = "HTTP " + std::to_string(response.status);
  if (!first_line(response.body).empty()) detail += ": " + first_line(response.body);
  return describe(hop_problem::bad_answer, detail);
}

std::optional<chain_response> chain_client::fetch(const std::string& method, const std::string& path,
                                                  const std::string& body, std::chrono::milliseconds timeout,
                                                  hop_failure& failure) const {
  auto response = request(method, path, body, timeout, failure);
  if (!response) return std::nullopt;
  if (auto problem = classify(*response)) {
    failure = std::move(*problem);
    return std::nullopt;
  }
  return response;
}

}  // namespace mrb::setup
