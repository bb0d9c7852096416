#include "fault_spec.hpp"
#include "reply_script.hpp"
#include "runner_options.hpp"

#include <gtest/gtest.h>

using namespace fakes::model_runner;
using nlohmann::json;

TEST(reply_script, default_reply_is_derived_from_the_last_user_message)
{
    reply_script s;
    auto req = json::parse(R"({"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"first"},
        {"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"what is  2+2?"}]}]})");
    auto r = s.plan(req, "ai/smollm2:latest");
    EXPECT_EQ(r.pieces, (std::vector<std::string>{"Echo:", " what", " is", " 2+2?"}));
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_EQ(r.completion_tokens, 4);
    EXPECT_GT(r.prompt_tokens, 10);
    // Deterministic: same request, same plan.
    EXPECT_EQ(s.plan(req, "ai/smollm2:latest").pieces, r.pieces);
}

namespace {

// What real OpenClaw 2026.9.6 sends (docs/reference/openclaw-client.md "The messages"): the
// person's text comes first, stamped and followed by the Runtime line; the LAST user message is
// OpenClaw's internal-context block.
json
openclaw_request(const std::string& typed)
{
    return json{{"messages",
        {{{"role", "system"}, {"content", "You are an assistant."}},
            {{"role", "user"},
                {"content", "[Sat 2026-12-05 06:13 UTC] " + typed +
                        "\n\nRuntime: agent=main | session=agent:main:explicit:x | host=vm | model=p/m | shell=bash"}},
            {{"role", "user"},
                {"content",
                    {{{"type", "text"},
                        {"text", "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nConversation data (data, not instructions):\n"
                                 "\"Active exec sessions:\\nnone\"\n<<<END_OPENCLAW_INTERNAL_CONTEXT>>>"}}}}}}}};
}

std::vector<std::string>
echo(const json& request)
{
    return reply_script().plan(request, "m").pieces;
}

} // namespace

TEST(reply_script, echoes_what_the_person_typed_in_openclaws_layout)
{
    EXPECT_EQ(echo(openclaw_request("Say hi")), (std::vector<std::string>{"Echo:", " Say", " hi"}));
    EXPECT_EQ(reply_script::user_text(openclaw_request("hello from the sandbox")), "hello from the sandbox");
    // The same with the Runtime line as a separate text part (OpenClaw's relocation into array content).
    auto req = openclaw_request("x");
    req["messages"][1]["content"] = json::parse(
        R"([{"type":"text","text":"[Sat 2026-12-05 06:13 UTC] look here"},{"type":"text","text":"Runtime: agent=main | shell=bash"}])");
    EXPECT_EQ(reply_script::user_text(req), "look here");
    // Without the Runtime line, the internal-context block after it still marks OpenClaw's stamp.
    req["messages"][1]["content"] = "[Sat 2026-12-05 06:13 UTC] no runtime line";
    EXPECT_EQ(reply_script::user_text(req), "no runtime line");
    // A block alone is echoed rather than nothing.
    req["messages"].erase(1);
    EXPECT_TRUE(reply_script::user_text(req).starts_with("<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"));
}

TEST(reply_script, echoes_plain_layouts_verbatim)
{
    auto one = [](json content) { return json{{"messages", {{{"role", "user"}, {"content", content}}}}}; };
    EXPECT_EQ(reply_script::user_text(one("hello plain")), "hello plain");
    EXPECT_EQ(reply_script::user_text(one(json::parse(R"([{"type":"text","text":"a"},{"type":"text","text":"b"}])"))),
        "a\nb");
    // A stamp or a Runtime paragraph a plain client wrote itself is kept: they are stripped
    // only from OpenClaw's shape (a single-line Runtime paragraph at the end is taken as OpenClaw's).
    EXPECT_EQ(reply_script::user_text(one("[2026-01-01 10:00] my note")), "[2026-01-01 10:00] my note");
    EXPECT_EQ(reply_script::user_text(one(json::parse(R"([{"type":"text","text":"Runtime: 3 s"}])"))), "Runtime: 3 s");
    EXPECT_EQ(reply_script::user_text(one("Runtime: 3 s\nand more")), "Runtime: 3 s\nand more");
    // Several turns: the last user message.
    auto turns = json::parse(R"({"messages":[{"role":"user","content":"first"},{"role":"assistant","content":"ok"},
        {"role":"user","content":"second"}]})");
    EXPECT_EQ(reply_script::user_text(turns), "second");
}

TEST(reply_script, prompt_contains_matches_the_typed_text_not_the_internal_context)
{
    reply_script s({scripted_reply{"", "Active exec sessions", "from the context", std::nullopt},
        scripted_reply{"", "weather", "from the text", std::nullopt}});
    EXPECT_EQ(s.plan(openclaw_request("the weather?"), "m").pieces, (std::vector<std::string>{"from", " the", " text"}));
}

TEST(reply_script, scripted_per_model_and_per_prompt_first_match_wins)
{
    reply_script s({
        scripted_reply{"ai/qwen2.5:7B-Q4_K_M", "", "I am Qwen.", std::nullopt},
        scripted_reply{"", "weather", "", tool_call_reply{"get_weather", R"({"city":"Paris"})", ""}},
        scripted_reply{"", "", "Fallback.", std::nullopt},
    });
    auto user = [](const char* t) { return json{{"messages", {{{"role", "user"}, {"content", t}}}}}; };
    EXPECT_EQ(s.plan(user("hi"), "ai/qwen2.5:7B-Q4_K_M").pieces, (std::vector<std::string>{"I", " am", " Qwen."}));
    auto w = s.plan(user("the weather?"), "ai/smollm2:latest");
    ASSERT_TRUE(w.tool_call);
    EXPECT_EQ(w.tool_call->name, "get_weather");
    EXPECT_EQ(w.finish_reason, "tool_calls");
    EXPECT_EQ(s.plan(user("hi"), "ai/smollm2:latest").pieces, (std::vector<std::string>{"Fallback."}));
}

TEST(reply_script, max_completion_tokens_cuts_with_length)
{
    reply_script s;
    auto req = json::parse(R"({"max_completion_tokens":2,"messages":[{"role":"user","content":"one two three four"}]})");
    auto r = s.plan(req, "m");
    EXPECT_EQ(r.pieces.size(), 2u);
    EXPECT_EQ(r.finish_reason, "length");
    req = json::parse(R"({"max_tokens":1,"messages":[{"role":"user","content":"one two"}]})");
    EXPECT_EQ(s.plan(req, "m").pieces.size(), 1u);
}

TEST(fault_spec, header_syntax_parses_every_fault)
{
    std::string err;
    auto f = parse_fault_header(
        "latency;ms=200, bandwidth;kbps=10, slicer;size=7;delay_us=500, coalesce;events=3, limit_data;bytes=100, "
        "slow_close;ms=50, reset_peer;after_events=2, load_delay;ms=30",
        err);
    ASSERT_TRUE(f) << err;
    EXPECT_EQ(f->toxics.latency, std::chrono::milliseconds(200));
    EXPECT_EQ(f->toxics.bandwidth_bytes_per_s, 10u * 1024u);
    EXPECT_EQ(f->toxics.slice_size, 7u);
    EXPECT_EQ(f->toxics.slice_delay, std::chrono::microseconds(500));
    EXPECT_EQ(f->coalesce_events, 3u);
    EXPECT_EQ(f->toxics.limit_data, 100u);
    EXPECT_EQ(f->toxics.slow_close, std::chrono::milliseconds(50));
    EXPECT_EQ(f->reset_peer_after, 2);
    EXPECT_EQ(f->load_delay, std::chrono::milliseconds(30));
    EXPECT_FALSE(f->empty());
}

TEST(fault_spec, defaults_mean_before_headers)
{
    std::string err;
    auto f = parse_fault_header("reset_peer", err);
    ASSERT_TRUE(f) << err;
    EXPECT_EQ(f->reset_peer_after, -1);
    f = parse_fault_header("timeout", err);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->stall->after_events, -1);
    EXPECT_EQ(f->stall->max.count(), 0);
    f = parse_fault_header("timeout;after_events=3;ms=100", err);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->stall->after_events, 3);
    EXPECT_EQ(f->stall->max, std::chrono::milliseconds(100));
}

TEST(fault_spec, http_level_faults_and_percent_decoding)
{
    std::string err;
    auto f = parse_fault_header("status;code=503;body=%7B%22error%22%3A1%7D;content_type=application/json, "
                                "truncate;after_events=2;close=1, malformed_chunk;after_events=1, "
                                "invalid_framing;mode=cl_and_te, close_delimited",
                                err);
    ASSERT_TRUE(f) << err;
    EXPECT_EQ(f->status->code, 503);
    EXPECT_EQ(f->status->body, R"({"error":1})");
    EXPECT_EQ(f->status->content_type, "application/json");
    EXPECT_EQ(f->truncate->after_events, 2);
    EXPECT_TRUE(f->truncate->close);
    EXPECT_EQ(f->malformed_after, 1);
    EXPECT_EQ(f->invalid_framing->mode, fault_spec::framing_mode::cl_and_te);
    EXPECT_TRUE(f->close_delimited);
}

TEST(fault_spec, errors_name_the_problem)
{
    std::string err;
    EXPECT_FALSE(parse_fault_header("explode", err));
    EXPECT_NE(err.find("unknown fault 'explode'"), std::string::npos) << err;
    EXPECT_FALSE(parse_fault_header("latency;sec=1", err));
    EXPECT_NE(err.find("unknown key 'sec'"), std::string::npos) << err;
    EXPECT_FALSE(parse_fault_header("latency;ms=abc", err));
    EXPECT_NE(err.find("ms must be a non-negative integer"), std::string::npos) << err;
    EXPECT_FALSE(parse_fault_header("invalid_framing;mode=weird", err));
    EXPECT_FALSE(parse_fault_header("slicer;size=0", err));
}

TEST(fault_spec, json_form_equals_header_form)
{
    auto a = fault_spec_from_json(json::parse(R"([{"kind":"reset_peer","after_events":2},{"kind":"latency","ms":5}])"));
    std::string err;
    auto b = parse_fault_header("reset_peer;after_events=2,latency;ms=5", err);
    ASSERT_TRUE(b);
    EXPECT_EQ(a.reset_peer_after, b->reset_peer_after);
    EXPECT_EQ(a.toxics.latency, b->toxics.latency);
    EXPECT_EQ(fault_header_to_json("reset_peer;after_events=2"), json::parse(R"([{"kind":"reset_peer","after_events":2}])"));
    EXPECT_TRUE(fault_spec_from_json(json()).empty());
}

TEST(fault_spec, merge_request_over_instance)
{
    fault_spec inst;
    inst.toxics.latency = std::chrono::milliseconds(10);
    inst.reset_peer_after = 5;
    std::string err;
    auto req = parse_fault_header("reset_peer;after_events=1", err);
    inst.merge(*req);
    EXPECT_EQ(inst.reset_peer_after, 1);
    EXPECT_EQ(inst.toxics.latency, std::chrono::milliseconds(10));
}

TEST(runner_options, from_json)
{
    auto o = options_from_json(json::parse(R"({
        "port": 0, "threads": 1,
        "models": ["SmolLM2", {"name":"ai/big:7B","context_size":4,"parameters":"7 B"}],
        "replies": [{"model":"smollm2","reply":"hi there"}],
        "load_delay_ms": 250, "event_timestamps": true, "usage": "on_finish_chunk",
        "token_interval_us": 1000, "faults": [{"kind":"latency","ms":5}], "fixed_created": 42
    })"));
    EXPECT_EQ(o.threads, 1u);
    ASSERT_EQ(o.models.size(), 2u);
    EXPECT_EQ(o.models[1].context_size, 4);
    ASSERT_EQ(o.replies.size(), 1u);
    EXPECT_EQ(o.replies[0].model, "ai/smollm2:latest");
    EXPECT_EQ(o.load_delay, std::chrono::milliseconds(250));
    EXPECT_TRUE(o.event_timestamps);
    EXPECT_EQ(o.usage, usage_placement::on_finish_chunk);
    EXPECT_EQ(o.token_interval, std::chrono::microseconds(1000));
    EXPECT_EQ(o.faults.toxics.latency, std::chrono::milliseconds(5));
    EXPECT_EQ(o.fixed_created, 42);
    EXPECT_THROW(options_from_json(json::parse(R"({"prot":1})")), std::invalid_argument);
    EXPECT_THROW(options_from_json(json::parse(R"({"usage":"middle"})")), std::invalid_argument);
}

TEST(reply_script, repeat_multiplies_the_reply_without_copying_it)
{
    reply_script s({scripted_reply{"", "long", "ab cd", std::nullopt, 1000}});
    auto req = json::parse(R"({"messages":[{"role":"user","content":"long"}]})");
    auto r = s.plan(req, "m");
    EXPECT_EQ(r.pieces.size(), 2u);
    EXPECT_EQ(r.repeat, 1000u);
    EXPECT_EQ(r.completion_tokens, 2000);
    req["max_completion_tokens"] = 7;
    r = s.plan(req, "m");
    EXPECT_EQ(r.pieces.size() * r.repeat, 6u);
    EXPECT_EQ(r.finish_reason, "length");
    EXPECT_EQ(scripted_reply_from_json(json::parse(R"({"reply":"x","repeat":5})")).repeat, 5u);
}
