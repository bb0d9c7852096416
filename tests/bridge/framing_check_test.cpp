#include "core/framing_check.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

namespace http = boost::beast::http;
using mrb::framing_error;

std::string head(const std::string& fields)
{
    return "POST /v1/chat/completions HTTP/1.1\r\n" + fields + "\r\n";
}

TEST(framing_raw, clean_head_passes)
{
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nContent-Length: 5\r\nX-Tab: a\tb\r\n")), framing_error::none);
}

TEST(framing_raw, bare_cr_in_value)
{
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nX-A: 1\r2\r\n")), framing_error::bare_cr);
}

TEST(framing_raw, bare_lf_line_ending)
{
    EXPECT_EQ(mrb::check_raw_head("GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n"), framing_error::bare_lf);
    EXPECT_EQ(mrb::check_raw_head("GET / HTTP/1.1\nHost: a\n\n"), framing_error::bare_lf);
}

TEST(framing_raw, nul_and_control_bytes)
{
    static constexpr char with_nul[] = "Host: a\r\nX: 1\0002\r\n";
    EXPECT_EQ(mrb::check_raw_head(head(std::string(with_nul, sizeof with_nul - 1))), framing_error::nul_byte);
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nTransfer-Encoding: \x0b" "chunked\r\n")), framing_error::control_byte);
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nX: \x7f\r\n")), framing_error::control_byte);
}

// The scan skips plain bytes a word at a time: a forbidden byte must be found at every offset
// (word boundaries included), and bytes >= 0x80 and tabs must pass.
TEST(framing_raw, forbidden_byte_found_at_every_offset)
{
    const std::string clean = head("Host: localhost:12434\r\nUser-Agent: OpenAI/JS 4.77.0 caf\xc3\xa9\r\n"
                                   "X-Tab:\tvalue\twith tabs\r\nContent-Type: application/json\r\n");
    ASSERT_EQ(mrb::check_raw_head(clean), framing_error::none);
    const auto first_field = clean.find("\r\n") + 2;
    const auto last_field_end = clean.size() - 4; // before the final CRLF CRLF
    int checked = 0;
    for (std::size_t at = first_field + 6; at < last_field_end; ++at)
    {
        if (clean[at] == '\r' || clean[at] == '\n' || clean[at - 1] == '\n')
            continue;
        for (const char bad : {'\0', '\x01', '\x0b', '\x1f', '\x7f'})
        {
            std::string h = clean;
            h[at] = bad;
            const auto e = mrb::check_raw_head(h);
            EXPECT_EQ(e, bad == '\0' ? framing_error::nul_byte : framing_error::control_byte)
                << "byte " << int(bad) << " at " << at;
            ++checked;
        }
    }
    EXPECT_GT(checked, 5 * 64);
}

TEST(framing_raw, obs_fold_and_leading_whitespace)
{
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nTransfer-Encoding:\r\n chunked\r\n")), framing_error::obs_fold);
    EXPECT_EQ(mrb::check_raw_head(head(" Host: a\r\n")), framing_error::obs_fold);
}

TEST(framing_raw, field_name_shape)
{
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nContent-Length : 5\r\n")), framing_error::space_before_colon);
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nContent-Length\t: 5\r\n")), framing_error::space_before_colon);
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\n: 5\r\n")), framing_error::empty_field_name);
    EXPECT_EQ(mrb::check_raw_head(head("Host: a\r\nno colon here\r\n")), framing_error::missing_colon);
}

// --- parsed header -----------------------------------------------------------------------------

http::request_header<> req(unsigned version = 11)
{
    http::request_header<> h;
    h.method(http::verb::post);
    h.target("/v1/chat/completions");
    h.version(version);
    h.insert(http::field::host, "127.0.0.1:54321");
    return h;
}

TEST(framing_parsed, plain_content_length_passes)
{
    auto h = req();
    h.insert(http::field::content_length, "5");
    EXPECT_EQ(mrb::check_request_framing(h), framing_error::none);
}

TEST(framing_parsed, cl_and_te_in_either_order)
{
    auto a = req();
    a.insert(http::field::content_length, "5");
    a.insert(http::field::transfer_encoding, "chunked");
    EXPECT_EQ(mrb::check_request_framing(a), framing_error::content_length_with_transfer_encoding);
    auto b = req();
    b.insert(http::field::transfer_encoding, "chunked");
    b.insert(http::field::content_length, "5");
    EXPECT_EQ(mrb::check_request_framing(b), framing_error::content_length_with_transfer_encoding);
}

TEST(framing_parsed, transfer_encoding_must_be_a_single_chunked)
{
    for (const char* te : {"chunked, gzip", "gzip", "identity", "xchunked", ",chunked", "chunked,chunked",
                           "chunked, chunked", "chun ked", "chunked;q=1", "gzip, chunked", "deflate, chunked"})
    {
        auto h = req();
        h.insert(http::field::transfer_encoding, te);
        EXPECT_EQ(mrb::check_request_framing(h), framing_error::transfer_encoding_not_chunked) << te;
    }
    for (const char* te : {"chunked", "Chunked", " chunked "})
    {
        auto h = req();
        h.insert(http::field::transfer_encoding, te);
        EXPECT_EQ(mrb::check_request_framing(h), framing_error::none) << te;
    }
}

TEST(framing_parsed, transfer_encoding_twice)
{
    auto h = req();
    h.insert(http::field::transfer_encoding, "chunked");
    h.insert(http::field::transfer_encoding, "chunked");
    EXPECT_EQ(mrb::check_request_framing(h), framing_error::transfer_encoding_not_chunked);
}

// The smuggling vector of issue 10: Beast framed the body by the last field, its serializer by
// the first, so the body went upstream de-chunked under a head that still said chunked.
TEST(framing_parsed, transfer_encoding_split_over_two_fields_is_refused)
{
    for (auto [first, second] : {std::pair{"gzip", "chunked"}, std::pair{"chunked", "gzip"}, std::pair{"identity", "chunked"},
                                 std::pair{"", "chunked"}, std::pair{"chunked", ""}})
    {
        auto h = req();
        h.insert(http::field::transfer_encoding, first);
        h.insert(http::field::transfer_encoding, second);
        EXPECT_EQ(mrb::check_request_framing(h), framing_error::transfer_encoding_not_chunked) << first << " / " << second;
        http::response_header<> r;
        r.insert(http::field::transfer_encoding, first);
        r.insert(http::field::transfer_encoding, second);
        EXPECT_EQ(mrb::check_response_framing(r), framing_error::transfer_encoding_not_chunked) << first << " / " << second;
    }
}

TEST(framing_decision, request_body_framing)
{
    using kind = mrb::body_framing::kind;
    auto none = req();
    EXPECT_EQ(mrb::decide_request_framing(none).body.type, kind::none);
    auto cl = req();
    cl.insert(http::field::content_length, "0042");
    const auto d = mrb::decide_request_framing(cl);
    EXPECT_EQ(d.error, framing_error::none);
    EXPECT_EQ(d.body.type, kind::content_length);
    EXPECT_EQ(d.body.length, 42u);
    auto te = req();
    te.insert(http::field::transfer_encoding, "Chunked");
    EXPECT_EQ(mrb::decide_request_framing(te).body.type, kind::chunked);
    auto bad = req();
    bad.insert(http::field::transfer_encoding, "gzip");
    EXPECT_EQ(mrb::decide_request_framing(bad).body.type, kind::none) << "no framing comes with an error";
}

// RFC 9110 8.6: a list of equal Content-Length values (or equal fields) is replaced by one value.
TEST(framing_decision, apply_framing_leaves_exactly_one_framing_field)
{
    struct row
    {
        std::vector<std::pair<http::field, std::string>> in;
        std::string content_length; // expected single value, or empty
        bool chunked;
    };
    const std::vector<row> rows = {
        {{{http::field::content_length, "2, 2"}}, "2", false},
        {{{http::field::content_length, "2"}, {http::field::content_length, "2"}}, "2", false},
        {{{http::field::content_length, "007"}, {http::field::content_length, "7"}}, "7", false},
        {{{http::field::transfer_encoding, "chunked"}}, "", true},
        {{{http::field::transfer_encoding, " Chunked "}}, "", true},
        {{}, "", false},
    };
    for (const auto& r : rows)
    {
        auto h = req();
        for (const auto& [f, v] : r.in)
            h.insert(f, v);
        const auto d = mrb::decide_request_framing(h);
        ASSERT_EQ(d.error, framing_error::none);
        mrb::apply_framing(h, d.body);
        const auto cls = h.equal_range(http::field::content_length);
        const auto tes = h.equal_range(http::field::transfer_encoding);
        EXPECT_EQ(std::distance(cls.first, cls.second), r.content_length.empty() ? 0 : 1);
        EXPECT_EQ(std::distance(tes.first, tes.second), r.chunked ? 1 : 0);
        if (!r.content_length.empty()) {
            EXPECT_EQ(h[http::field::content_length], r.content_length);
        }
        if (r.chunked) {
            EXPECT_EQ(h[http::field::transfer_encoding], "chunked");
        }
        const http::request<http::empty_body> m(h);
        EXPECT_EQ(m.chunked(), r.chunked) << "the serializer reads the same framing";
    }
}

TEST(framing_parsed, content_length_values)
{
    for (const char* cl : {"+5", "-1", "0x5", "5_0", "5 5", "", "99999999999999999999"})
    {
        auto h = req();
        h.insert(http::field::content_length, cl);
        EXPECT_EQ(mrb::check_request_framing(h), framing_error::invalid_content_length) << cl;
    }
    auto same = req();
    same.insert(http::field::content_length, "5, 5");
    EXPECT_EQ(mrb::check_request_framing(same), framing_error::none);
    auto zeros = req();
    zeros.insert(http::field::content_length, "005");
    zeros.insert(http::field::content_length, "5");
    EXPECT_EQ(mrb::check_request_framing(zeros), framing_error::none);
}

TEST(framing_parsed, differing_duplicate_content_length)
{
    auto a = req();
    a.insert(http::field::content_length, "5");
    a.insert(http::field::content_length, "6");
    EXPECT_EQ(mrb::check_request_framing(a), framing_error::conflicting_content_length);
    auto b = req();
    b.insert(http::field::content_length, "5, 6");
    EXPECT_EQ(mrb::check_request_framing(b), framing_error::conflicting_content_length);
}

TEST(framing_parsed, http10_with_chunked)
{
    auto h = req(10);
    h.insert(http::field::transfer_encoding, "chunked");
    EXPECT_EQ(mrb::check_request_framing(h), framing_error::chunked_in_http10);
}

TEST(framing_parsed, host_rules)
{
    http::request_header<> none;
    none.method(http::verb::get);
    none.target("/");
    none.version(11);
    EXPECT_EQ(mrb::check_request_framing(none), framing_error::missing_host);
    none.version(10);
    EXPECT_EQ(mrb::check_request_framing(none), framing_error::none);

    auto dup = req();
    dup.insert(http::field::host, "other");
    EXPECT_EQ(mrb::check_request_framing(dup), framing_error::duplicate_host);

    auto userinfo = req();
    userinfo.set(http::field::host, "user@host");
    EXPECT_EQ(mrb::check_request_framing(userinfo), framing_error::invalid_host);
    auto path = req();
    path.set(http::field::host, "host/path");
    EXPECT_EQ(mrb::check_request_framing(path), framing_error::invalid_host);
}

TEST(framing_response, invalid_upstream_framing)
{
    http::response_header<> ok;
    ok.insert(http::field::content_length, "10");
    EXPECT_EQ(mrb::check_response_framing(ok), framing_error::none);

    http::response_header<> both;
    both.insert(http::field::content_length, "10");
    both.insert(http::field::transfer_encoding, "chunked");
    EXPECT_EQ(mrb::check_response_framing(both), framing_error::content_length_with_transfer_encoding);

    http::response_header<> dup;
    dup.insert(http::field::content_length, "10");
    dup.insert(http::field::content_length, "11");
    EXPECT_EQ(mrb::check_response_framing(dup), framing_error::conflicting_content_length);
}

TEST(framing, every_error_is_described)
{
    for (int e = 0; e <= static_cast<int>(framing_error::framing_in_trailer); ++e)
        EXPECT_FALSE(mrb::describe(static_cast<framing_error>(e)).empty());
}

} // namespace

namespace {

using mrb::check_chunked_prefix;

TEST(framing_chunked, valid_prefixes_pass)
{
    EXPECT_EQ(check_chunked_prefix(""), framing_error::none);
    EXPECT_EQ(check_chunked_prefix("5\r\nhel"), framing_error::none);
    EXPECT_EQ(check_chunked_prefix("5\r\nhello\r\n0\r\n\r\n"), framing_error::none);
    EXPECT_EQ(check_chunked_prefix("5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nGET"), framing_error::none);
    EXPECT_EQ(check_chunked_prefix("5\r"), framing_error::none);
}

TEST(framing_chunked, bad_sizes)
{
    for (const char* b : {"0x5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n", "5_0\r\nhello\r\n", " 5\r\nhello\r\n",
                          "5 \r\nhello\r\n", "10000000000000005\r\nhello\r\n", "\r\n", "5;a\x01\r\nhello\r\n"})
        EXPECT_EQ(check_chunked_prefix(b), framing_error::bad_chunk) << b;
}

TEST(framing_chunked, bad_line_endings_and_terminators)
{
    EXPECT_EQ(check_chunked_prefix("5\nhello\n0\n\n"), framing_error::bad_chunk);
    EXPECT_EQ(check_chunked_prefix("5\rhello"), framing_error::bad_chunk);
    EXPECT_EQ(check_chunked_prefix("5\r\nhelloX0\r\n\r\n"), framing_error::bad_chunk);
    EXPECT_EQ(check_chunked_prefix("0\r\n folded: x\r\n\r\n"), framing_error::bad_chunk);
}

// Every chunk line is checked as it arrives: the verdict and the body end do not depend on how
// the bytes are split into reads.
TEST(framing_chunked, verdict_is_the_same_for_every_split)
{
    const std::vector<std::pair<std::string, framing_error>> bodies = {
        {"5\r\nhello\r\n0\r\n\r\n", framing_error::none},
        {"5;a=b\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n", framing_error::none},
        {"5\r\nhello\r\n0\n\n", framing_error::bad_chunk},
        {"5\r\nhello\r\n0\r\n\n", framing_error::bad_chunk},
        {"5\r\nhello\r\n0\r\nHost: x\r\n\r\n", framing_error::framing_in_trailer},
        {"5\r\nhello\r\n0\r\nX : 1\r\n\r\n", framing_error::bad_chunk},
        {"5\r\nhelloo\r\n0\r\n\r\n", framing_error::bad_chunk},
    };
    for (const auto& [body, verdict] : bodies)
    {
        for (std::size_t a = 0; a <= body.size(); ++a)
            for (std::size_t b = a; b <= body.size(); ++b)
            {
                mrb::chunk_checker c;
                std::size_t used = c.feed(std::string_view(body).substr(0, a));
                used += c.feed(std::string_view(body).substr(a, b - a));
                used += c.feed(std::string_view(body).substr(b));
                ASSERT_EQ(c.error(), verdict) << body << " split at " << a << "," << b;
                if (verdict == framing_error::none)
                {
                    EXPECT_TRUE(c.done());
                    EXPECT_EQ(used, body.size());
                }
            }
    }
}

TEST(framing_chunked, stops_at_the_end_of_the_body)
{
    mrb::chunk_checker c;
    const std::string pipelined = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    EXPECT_EQ(c.feed(pipelined), pipelined.find("GET"));
    EXPECT_TRUE(c.done());
    EXPECT_EQ(c.feed("more"), 0u);
    EXPECT_EQ(c.error(), framing_error::none);
}

TEST(framing_chunked, an_endless_extension_is_refused)
{
    mrb::chunk_checker c;
    c.feed("5;");
    c.feed(std::string(8192, 'a'));
    EXPECT_EQ(c.error(), framing_error::bad_chunk);
}

TEST(framing_chunked, framing_fields_in_trailers)
{
    EXPECT_EQ(check_chunked_prefix("5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n"), framing_error::framing_in_trailer);
    EXPECT_EQ(check_chunked_prefix("0\r\ntransfer-encoding: gzip\r\n\r\n"), framing_error::framing_in_trailer);
    EXPECT_EQ(check_chunked_prefix("0\r\nHost: evil\r\n\r\n"), framing_error::framing_in_trailer);
}

} // namespace
