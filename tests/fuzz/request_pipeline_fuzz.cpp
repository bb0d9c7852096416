// Fuzz target: the request path of bridge/net/relay_session.cpp serve_one(), in its order: empty
// lines skipped, head found, check_raw_head, Beast's parse, the one framing decision (and its
// agreement with Beast), header_policy check_target, rewrite_request, apply_framing. Invariants:
// never crash; for an accepted request the head that goes upstream is itself clean
// (check_raw_head), parses again, and re-derives the same framing decision with exactly one
// framing field (or none); the method survives and the target is the checked origin form.
// Input: a flags byte (bit 0: direct, else through a proxy with credentials), then the bytes a
// client sends.

#include "fuzz_support.hpp"
#include "http_pipeline.hpp"

#include "core/header_policy.hpp"

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace http = boost::beast::http;

namespace {

mrb::header_policy make_policy(bool direct)
{
    mrb::bridge_config cfg;
    cfg.target_host = "localhost";
    cfg.target_port = 12434;
    cfg.direct = direct;
    if (!direct)
        cfg.proxy = mrb::proxy_endpoint{"host.docker.internal", 3128, "Basic dXNlcjpwYXNz", "http://user:***@x:3128"};
    return mrb::header_policy(cfg);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const mrb::header_policy via_proxy = make_policy(false);
    static const mrb::header_policy direct = make_policy(true);
    static const mrb::bridge_config defaults;

    mrb::fuzz::byte_reader in(data, size);
    const bool is_direct = in.byte() & 1;
    const auto& policy = is_direct ? direct : via_proxy;
    std::string_view bytes = in.rest();

    while (bytes.size() >= 2 && bytes[0] == '\r' && bytes[1] == '\n')
        bytes.remove_prefix(2);
    const auto head_len = mrb::fuzz::find_head_end(bytes);
    if (head_len == std::string_view::npos || head_len > defaults.header_limit)
        return 0;
    const auto head = bytes.substr(0, head_len);
    if (mrb::check_raw_head(head) != mrb::framing_error::none)
        return 0;

    http::request_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(defaults.header_limit + 4));
    parser.body_limit(defaults.request_body_limit);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(head.data(), head.size()), ec);
    if (ec || !parser.is_header_done())
        return 0;
    auto& req = parser.get();

    const auto decision = mrb::decide_request_framing(req.base());
    if (decision.error != mrb::framing_error::none || !mrb::fuzz::frames_alike(decision.body, parser))
        return 0;
    const auto method = req.method();
    const std::string method_string(req.method_string());
    std::string origin_form;
    if (policy.check_target(method, req.target(), origin_form) != mrb::header_policy::target_verdict::ok)
        return 0;
    FUZZ_CHECK(!origin_form.empty() && origin_form.front() == '/', origin_form);
    FUZZ_CHECK(method != http::verb::connect, "CONNECT accepted");

    policy.rewrite_request(req.base(), origin_form);
    mrb::apply_framing(req.base(), decision.body);
    const auto forwarded = mrb::fuzz::serialise(req.base());
    const std::string what = "\ninput: " + mrb::fuzz::printable(head) + "\nforwarded: " + mrb::fuzz::printable(forwarded);

    // The forwarded head passes the bridge's own raw check: nothing ambiguous goes upstream.
    FUZZ_CHECK(mrb::check_raw_head(forwarded) == mrb::framing_error::none,
               std::string(mrb::describe(mrb::check_raw_head(forwarded))) + what);
    FUZZ_CHECK(mrb::fuzz::find_head_end(forwarded) == forwarded.size(), "forwarded head ends early" + what);

    http::request_parser<http::buffer_body> again;
    again.header_limit(64 * 1024);
    again.put(boost::asio::buffer(forwarded.data(), forwarded.size()), ec);
    FUZZ_CHECK(!ec && again.is_header_done(), "forwarded head does not parse: " + ec.message() + what);
    const auto& req2 = again.get();
    const auto decision2 = mrb::decide_request_framing(req2.base());
    FUZZ_CHECK(decision2.error == mrb::framing_error::none,
               "forwarded head refused: " + std::string(mrb::describe(decision2.error)) + what);
    FUZZ_CHECK(mrb::fuzz::same_framing(decision.body, decision2.body),
               std::string("framing changed: ") + mrb::fuzz::kind_name(decision.body.type) + " -> " +
                   mrb::fuzz::kind_name(decision2.body.type) + what);
    FUZZ_CHECK(mrb::fuzz::frames_alike(decision2.body, again), "Beast frames the forwarded head differently" + what);
    const auto te = mrb::fuzz::count_fields(req2.base(), http::field::transfer_encoding);
    const auto cl = mrb::fuzz::count_fields(req2.base(), http::field::content_length);
    FUZZ_CHECK(te + cl <= 1, "more than one framing field forwarded" + what);
    FUZZ_CHECK(mrb::fuzz::count_fields(req2.base(), http::field::host) == 1, "not exactly one Host" + what);
    FUZZ_CHECK(req2.method_string() == method_string, "method changed" + what);
    const std::string expected_target = is_direct ? origin_form : "http://localhost:12434" + origin_form;
    FUZZ_CHECK(req2.target() == expected_target, "target changed" + what);
    FUZZ_CHECK(req2.version() == 11, "not HTTP/1.1 upstream" + what);
    return 0;
}
