// core/chat_error: which failures become a chat reply, the request-body scanner that finds
// `stream`, and the reply's shape (what the openai SDK and OpenClaw parse).
#include "core/bridge_config.hpp"
#include "core/chat_error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

using mrb::failure;

std::optional<bool> scan(std::string_view body)
{
    mrb::stream_flag_scanner s;
    s.feed(body);
    return s.stream();
}

// Every split of the body into two pieces gives the same answer as the whole.
std::optional<bool> scan_split_everywhere(std::string_view body)
{
    const auto whole = scan(body);
    for (std::size_t cut = 0; cut <= body.size(); ++cut)
    {
        mrb::stream_flag_scanner s;
        s.feed(body.substr(0, cut));
        s.feed(body.substr(cut));
        EXPECT_EQ(s.stream(), whole) << "cut at " << cut << " of " << body;
    }
    return whole;
}

TEST(chat_error, delivery_modes_parse)
{
    EXPECT_EQ(mrb::parse_error_delivery("chat"), mrb::error_delivery::chat);
    EXPECT_EQ(mrb::parse_error_delivery("status"), mrb::error_delivery::status);
    EXPECT_FALSE(mrb::parse_error_delivery("Chat"));
    EXPECT_EQ(mrb::to_string(mrb::error_delivery::chat), "chat");
    EXPECT_EQ(mrb::bridge_config{}.error_delivery_mode, mrb::error_delivery::chat);
}

TEST(chat_error, only_failures_the_user_must_act_on_are_chat_replies)
{
    const std::vector<failure> all = {failure::proxy_refused,   failure::proxy_unreachable, failure::proxy_connect_timeout,
                                      failure::proxy_reset,     failure::proxy_bad_response, failure::proxy_timeout,
                                      failure::proxy_denied,    failure::proxy_auth_refused, failure::bad_request,
                                      failure::header_too_large, failure::body_too_large,  failure::connect_method,
                                      failure::foreign_target,  failure::overloaded};
    for (auto f : all)
        EXPECT_EQ(mrb::chat_deliverable(f), f == failure::proxy_denied || f == failure::proxy_auth_refused)
            << mrb::to_string(f);
}

TEST(chat_error, chat_completion_requests)
{
    EXPECT_TRUE(mrb::is_chat_completion_request("POST", "/engines/v1/chat/completions"));
    EXPECT_TRUE(mrb::is_chat_completion_request("POST", "/engines/llama.cpp/v1/chat/completions?x=1"));
    EXPECT_TRUE(mrb::is_chat_completion_request("POST", "http://localhost:12434/v1/chat/completions"));
    EXPECT_FALSE(mrb::is_chat_completion_request("GET", "/engines/v1/chat/completions"));
    EXPECT_FALSE(mrb::is_chat_completion_request("POST", "/engines/v1/completions"));
    EXPECT_FALSE(mrb::is_chat_completion_request("POST", "/engines/v1/chat/completions/x"));
    EXPECT_FALSE(mrb::is_chat_completion_request("POST", "/engines/v1/models?p=/chat/completions"));
}

TEST(chat_error, delivery_decision_table)
{
    using mrb::error_delivery;
    struct row { error_delivery mode; bool deliverable, chat; std::optional<bool> stream; bool expected; };
    const row rows[] = {
        {error_delivery::chat, true, true, true, true},
        {error_delivery::chat, true, true, false, true},
        {error_delivery::chat, true, true, std::nullopt, false}, // body form unknown: the HTTP error
        {error_delivery::chat, false, true, true, false},        // transient: OpenClaw's retries
        {error_delivery::chat, true, false, std::nullopt, false},
        {error_delivery::status, true, true, true, false},
    };
    for (const auto& r : rows)
        EXPECT_EQ(mrb::deliver_as_chat(r.mode, r.deliverable, r.chat, r.stream), r.expected);
}

TEST(chat_error, scanner_finds_the_top_level_stream_member)
{
    EXPECT_EQ(scan_split_everywhere(R"({"model":"m","stream":true})"), true);
    EXPECT_EQ(scan_split_everywhere(R"({"stream": false, "model":"m"})"), false);
    EXPECT_EQ(scan_split_everywhere(R"({ "stream" :null})"), false);
    EXPECT_EQ(scan_split_everywhere("{\n\t\"stream\"\r\n:\ttrue}"), true);
    EXPECT_EQ(scan_split_everywhere(R"({"model":"m","messages":[]})"), false); // absent: not streamed
    EXPECT_EQ(scan_split_everywhere(R"({})"), false);
}

TEST(chat_error, scanner_is_not_fooled_by_nested_or_quoted_stream)
{
    // Nested members, strings holding the text, escaped quotes, a longer key that starts with it.
    EXPECT_EQ(scan_split_everywhere(R"({"tools":[{"stream":true}],"x":{"stream":true}})"), false);
    EXPECT_EQ(scan_split_everywhere(R"({"messages":[{"content":"\"stream\":true"}],"stream":false})"), false);
    EXPECT_EQ(scan_split_everywhere(R"({"note":"{\"stream\":true}","stream":true})"), true);
    EXPECT_EQ(scan_split_everywhere(R"({"streams":true,"stream":false})"), false);
    EXPECT_EQ(scan_split_everywhere(R"({"stre":true,"stream":true})"), true);
    EXPECT_EQ(scan_split_everywhere(R"({"a":"\\","stream":true})"), true); // an escaped backslash ends the string
    EXPECT_EQ(scan_split_everywhere(R"({"a":[1,{"b":[]}],"stream":true})"), true);
}

TEST(chat_error, scanner_gives_up_on_what_it_cannot_trust)
{
    EXPECT_EQ(scan(R"([{"stream":true}])"), std::nullopt);       // not an object
    EXPECT_EQ(scan(R"({"stream":"true"})"), std::nullopt);        // not a literal
    EXPECT_EQ(scan(R"({"stream":1})"), std::nullopt);
    EXPECT_EQ(scan(R"({"str\u0065am":true})"), false);            // escaped key: not recognised
    EXPECT_EQ(scan(R"({"model":"m","stream)"), std::nullopt);     // cut short: unknown
    EXPECT_EQ(scan(""), std::nullopt);
    mrb::stream_flag_scanner s;
    s.feed(R"({"stream":true)");
    EXPECT_TRUE(s.done());
    s.feed(R"(,"stream":false})"); // the first member wins, and nothing more is read
    EXPECT_EQ(s.stream(), true);
}

TEST(chat_error, scanner_handles_an_openclaw_sized_body)
{
    nlohmann::ordered_json body = {{"model", "ai/smollm2"}};
    body["messages"] = {{{"role", "system"}, {"content", std::string(22000, 'x') + "\"stream\": false"}},
                        {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "hi"}}}}}};
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
    const auto text = body.dump();
    mrb::stream_flag_scanner s;
    for (std::size_t at = 0; at < text.size(); at += 2048)
        s.feed(std::string_view(text).substr(at, 2048));
    EXPECT_EQ(s.stream(), true);
}

mrb::error_reply denial_reply()
{
    mrb::bridge_config c;
    c.proxy = mrb::proxy_endpoint{"host.docker.internal", 3128, "", "http://host.docker.internal:3128"};
    return mrb::make_error_reply(failure::proxy_denied, c, "Blocked by network policy: domain localhost");
}

TEST(chat_error, text_carries_the_message_and_the_fix)
{
    const auto r = denial_reply();
    const auto text = mrb::chat_error_text(r);
    EXPECT_NE(text.find(r.message), std::string::npos);
    EXPECT_NE(text.find("Fix: " + r.fix), std::string::npos);
    EXPECT_NE(text.find("--allow-host localhost"), std::string::npos);
    EXPECT_NE(text.find("not from the model"), std::string::npos);
}

TEST(chat_error, streamed_reply_is_the_chunks_llama_cpp_sends)
{
    const auto r = denial_reply();
    const auto res = mrb::make_chat_error_response(r, true, 1700000000);
    EXPECT_EQ(res.content_type, "text/event-stream");
    std::vector<nlohmann::json> events;
    std::string_view rest = res.body;
    bool done = false;
    while (!rest.empty())
    {
        const auto end = rest.find("\n\n");
        ASSERT_NE(end, std::string_view::npos) << "an event without its blank line";
        auto line = rest.substr(0, end);
        rest.remove_prefix(end + 2);
        ASSERT_EQ(line.substr(0, 6), "data: ");
        line.remove_prefix(6);
        if (line == "[DONE]")
        {
            done = true;
            EXPECT_TRUE(rest.empty());
            break;
        }
        events.push_back(nlohmann::json::parse(line));
    }
    EXPECT_TRUE(done);
    ASSERT_EQ(events.size(), 3u);
    for (const auto& e : events)
    {
        EXPECT_EQ(e["object"], "chat.completion.chunk");
        EXPECT_EQ(e["created"], 1700000000);
    }
    EXPECT_EQ(events[0]["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(events[0]["choices"][0]["delta"]["content"], mrb::chat_error_text(r));
    EXPECT_EQ(events[1]["choices"][0]["finish_reason"], "stop");
    EXPECT_TRUE(events[2]["choices"].empty());
    EXPECT_EQ(events[2]["usage"]["total_tokens"], 0);
}

TEST(chat_error, unstreamed_reply_is_one_chat_completion)
{
    const auto r = denial_reply();
    const auto res = mrb::make_chat_error_response(r, false, 1700000000);
    EXPECT_EQ(res.content_type, "application/json");
    const auto j = nlohmann::json::parse(res.body);
    EXPECT_EQ(j["object"], "chat.completion");
    EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
    EXPECT_EQ(j["choices"][0]["message"]["content"], mrb::chat_error_text(r));
    EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
}

} // namespace
