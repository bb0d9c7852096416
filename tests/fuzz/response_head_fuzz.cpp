// Fuzz target: what a hostile proxy can send back, along relay_session.cpp's response path:
// head found, check_raw_head, Beast's parse (skip for HEAD), the response framing decision and
// its agreement with Beast, the chunk check of the bytes behind the head, denial recognition,
// rewrite_response and the framing re-derived towards the client. Invariants: never crash; a
// recognised denial has a known kind and a printable one-line detail of at most 200 bytes; the
// head the client gets is clean (check_raw_head), parses again, carries at most one framing field
// and frames the body as the bridge decided.
// Input: a flags byte (bit 0: the request was HEAD, bit 1: the client spoke HTTP/1.0, bit 2:
// through a proxy), then the bytes the proxy sends.

#include "fuzz_support.hpp"
#include "http_pipeline.hpp"

#include "core/denial.hpp"
#include "core/header_policy.hpp"

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <vector>

namespace http = boost::beast::http;
using mrb::body_framing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const mrb::header_policy policy = [] {
        mrb::bridge_config cfg;
        cfg.proxy = mrb::proxy_endpoint{"host.docker.internal", 3128, "", "http://host.docker.internal:3128"};
        return mrb::header_policy(cfg);
    }();

    mrb::fuzz::byte_reader in(data, size);
    const auto flags = in.byte();
    const bool is_head = flags & 1;
    const unsigned client_version = flags & 2 ? 10 : 11;
    const bool proxied = flags & 4;
    const std::string_view bytes = in.rest();

    const auto head_len = mrb::fuzz::find_head_end(bytes);
    if (head_len == std::string_view::npos || head_len > 64 * 1024)
        return 0;
    const auto head = bytes.substr(0, head_len);
    const auto after_head = bytes.substr(head_len);
    if (mrb::check_raw_head(head) != mrb::framing_error::none)
        return 0;

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(64 * 1024);
    if (is_head)
        parser.skip(true);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(head.data(), head.size()), ec);
    if (ec || !parser.is_header_done())
        return 0;
    auto& res = parser.get();
    const unsigned status = res.result_int();
    if (status >= 100 && status < 200)
        return 0; // interim: the bridge reads the next head

    const bool body_allowed = !is_head && status != 204 && status != 304;
    const auto decision = mrb::decide_response_framing(res.base());
    if (decision.error != mrb::framing_error::none)
        return 0;
    if (body_allowed && !mrb::fuzz::frames_alike(decision.body, parser))
        return 0;
    if (body_allowed && decision.body.type == body_framing::kind::chunked)
    {
        mrb::chunk_checker chunks;
        chunks.feed(after_head);
        if (chunks.error() != mrb::framing_error::none)
            return 0;
    }

    if (proxied && mrb::may_be_denial(status))
    {
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& f : res)
            headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        const auto prefix = after_head.substr(0, mrb::denial_body_prefix_bytes);
        if (const auto denial = mrb::recognise_denial(status, res.reason(), headers, prefix))
        {
            const auto& k = denial->kind;
            FUZZ_CHECK(k == "docker" || k == "docker-legacy" || k == "squid" || k == "tinyproxy" ||
                           k == "unrecognised-500" || k == "proxy-auth",
                       k);
            // A 407 behind a proxy is always the proxy refusing the bridge's login, and only a 407 is.
            FUZZ_CHECK(denial->login_refused == (status == 407), "login_refused for status " + std::to_string(status));
            // Only an unrecognised proxied 500 is a likely, not a certain, denial.
            FUZZ_CHECK(denial->certain == (k != "unrecognised-500"), "certainty of " + k);
            FUZZ_CHECK(k != "unrecognised-500" || status == 500, "unrecognised-500 for status " + std::to_string(status));
            FUZZ_CHECK(denial->detail.size() <= 200, "detail longer than 200 bytes");
            for (char c : denial->detail)
                FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f,
                           "unprintable detail: " + mrb::fuzz::printable(denial->detail));
            return 0; // the bridge answers with its own error
        }
    }

    policy.rewrite_response(res.base());
    using kind = body_framing::kind;
    body_framing out = decision.body;
    if (!body_allowed && out.type == kind::chunked)
        out.type = kind::none;
    else if (body_allowed && out.type == kind::chunked && client_version < 11)
        out.type = kind::none;
    else if (body_allowed && out.type == kind::none && client_version >= 11)
        out.type = kind::chunked;
    const bool keep = flags & 8 && !(body_allowed && out.type == kind::none);
    mrb::apply_framing(res.base(), out);
    res.version(11);
    res.keep_alive(keep);
    const auto sent = mrb::fuzz::serialise(res.base());
    const std::string what = "\ninput: " + mrb::fuzz::printable(head) + "\nsent: " + mrb::fuzz::printable(sent);

    FUZZ_CHECK(mrb::check_raw_head(sent) == mrb::framing_error::none,
               std::string(mrb::describe(mrb::check_raw_head(sent))) + what);
    FUZZ_CHECK(mrb::fuzz::find_head_end(sent) == sent.size(), "head to the client ends early" + what);
    http::response_parser<http::buffer_body> again;
    again.header_limit(128 * 1024);
    again.body_limit(boost::none); // only the head is parsed; any Content-Length is fine
    if (is_head)
        again.skip(true);
    again.put(boost::asio::buffer(sent.data(), sent.size()), ec);
    FUZZ_CHECK(!ec && again.is_header_done(), "head to the client does not parse: " + ec.message() + what);
    const auto decision2 = mrb::decide_response_framing(again.get().base());
    FUZZ_CHECK(decision2.error == mrb::framing_error::none,
               "head to the client refused: " + std::string(mrb::describe(decision2.error)) + what);
    FUZZ_CHECK(mrb::fuzz::same_framing(out, decision2.body),
               std::string("framing ") + mrb::fuzz::kind_name(out.type) + " sent as " +
                   mrb::fuzz::kind_name(decision2.body.type) + what);
    if (body_allowed)
        FUZZ_CHECK(mrb::fuzz::frames_alike(out, again), "Beast frames the client's head differently" + what);
    const auto te = mrb::fuzz::count_fields(again.get().base(), http::field::transfer_encoding);
    const auto cl = mrb::fuzz::count_fields(again.get().base(), http::field::content_length);
    FUZZ_CHECK(te + cl <= 1, "more than one framing field sent" + what);
    FUZZ_CHECK(again.get().result_int() == status, "status changed" + what);
    return 0;
}
