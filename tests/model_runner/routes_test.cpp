#include "request_handler.hpp"
#include "routes.hpp"

#include <gtest/gtest.h>

using namespace fakes::model_runner;
using nlohmann::json;

TEST(routes, table)
{
    struct row { const char* method; const char* target; route_kind kind; const char* backend; const char* name; };
    const row rows[] = {
        {"GET", "/", route_kind::root, "", ""},
        {"GET", "/version", route_kind::version, "", ""},
        {"GET", "/models", route_kind::models_list, "", ""},
        {"GET", "/models/ai/smollm2:latest", route_kind::model_get, "", "ai/smollm2:latest"},
        {"GET", "/engines/status", route_kind::engines_status, "", ""},
        {"GET", "/engines/v1/models", route_kind::openai_models, "", ""},
        {"GET", "/engines/llama.cpp/v1/models", route_kind::openai_models, "llama.cpp", ""},
        {"GET", "/engines/v1/models/ai/smollm2", route_kind::openai_model, "", "ai/smollm2"},
        {"POST", "/engines/v1/chat/completions", route_kind::chat_completions, "", ""},
        {"POST", "/engines/llama.cpp/v1/chat/completions", route_kind::chat_completions, "llama.cpp", ""},
        {"POST", "/engines/llama.cpp/v1/completions", route_kind::completions, "llama.cpp", ""},
        {"POST", "/engines/v1/embeddings", route_kind::embeddings, "", ""},
        {"POST", "/v1/chat/completions", route_kind::chat_completions, "", ""},
        {"GET", "/v1/models", route_kind::openai_models, "", ""},
        {"POST", "//engines//v1/chat/completions?x=1", route_kind::chat_completions, "", ""},
        {"POST", "/engines/foo/v1/chat/completions", route_kind::backend_not_found, "foo", ""},
        {"GET", "/engines/foo/v1/models", route_kind::openai_models, "foo", ""},
        {"POST", "/engines/vllm/v1/chat/completions", route_kind::chat_completions, "vllm", ""},
        {"GET", "/engines/whatever", route_kind::engines_not_found, "", ""},
        {"GET", "/engines/v1/nothing", route_kind::engines_not_found, "", ""},
        {"GET", "/nope", route_kind::not_found, "", ""},
        {"GET", "/engines/v1/chat/completions", route_kind::method_not_allowed, "", ""},
        {"POST", "/models", route_kind::method_not_allowed, "", ""},
        {"POST", "/models/create", route_kind::not_implemented, "", ""},
        {"POST", "/v1/messages", route_kind::not_implemented, "", ""},
    };
    for(const auto& r : rows)
    {
        auto m = match_route(r.method, r.target);
        EXPECT_EQ(m.kind, r.kind) << r.method << " " << r.target;
        EXPECT_EQ(m.backend, r.backend) << r.target;
        EXPECT_EQ(m.name, r.name) << r.target;
    }
    EXPECT_EQ(match_route("GET", "/engines/v1/chat/completions").allow, "POST");
}

TEST(routes, clean_path_like_go)
{
    EXPECT_EQ(clean_path("//a//b/./c/../d?q"), "/a/b/d");
    EXPECT_EQ(clean_path(""), "/");
    EXPECT_EQ(clean_path("/.."), "/");
}

namespace {

struct handler_fixture : testing::Test
{
    runner_options options = [] {
        runner_options o;
        o.fixed_created = 1700000000;
        return o;
    }();
    request_handler handler{options};

    response_plan call(std::string method, std::string target, std::string body = {}, fakes::http_kit::header_list h = {})
    {
        fakes::http_kit::received_request r;
        r.method = std::move(method);
        r.target = std::move(target);
        r.body = std::move(body);
        r.headers = std::move(h);
        return handler.handle(r);
    }
};

const fakes::http_kit::header_list text_headers = {{"Content-Type", "text/plain; charset=utf-8"},
                                                   {"X-Content-Type-Options", "nosniff"}};

} // namespace

TEST_F(handler_fixture, root_version_status)
{
    auto p = call("GET", "/");
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(p.body, "Docker Model Runner is running");
    EXPECT_EQ(call("GET", "/version").body, "{\"version\":\"v1.2.6\"}\n");
    EXPECT_EQ(json::parse(call("GET", "/engines/status").body).begin().key(), "llama.cpp");
}

TEST_F(handler_fixture, model_listings)
{
    auto p = call("GET", "/models");
    EXPECT_EQ(p.headers, (fakes::http_kit::header_list{{"Content-Type", "application/json"}}));
    EXPECT_EQ(json::parse(p.body).size(), 2u);
    EXPECT_EQ(p.body.back(), '\n');
    auto one = json::parse(call("GET", "/models/smollm2").body);
    EXPECT_EQ(one["tags"][0], "ai/smollm2:latest");
    auto list = json::parse(call("GET", "/engines/v1/models").body);
    EXPECT_EQ(list["data"][1]["id"], "ai/qwen2.5:7B-Q4_K_M");
    EXPECT_EQ(list["data"][1]["dmr"]["context_window"], 32768);
    EXPECT_EQ(json::parse(call("GET", "/v1/models/ai/smollm2").body)["owned_by"], "docker");
}

TEST_F(handler_fixture, dmr_text_errors_exactly)
{
    struct row { response_plan p; int status; std::string body; };
    std::string big(10 * 1024 * 1024 + 1, ' ');
    std::vector<row> rows;
    rows.push_back({call("GET", "/nope"), 404, "404 page not found\n"});
    rows.push_back({call("GET", "/engines/nope"), 404, "not found\n"});
    rows.push_back({call("POST", "/engines/foo/v1/chat/completions", "{}"), 404, "backend not found\n"});
    rows.push_back({call("POST", "/engines/v1/chat/completions", big), 400, "request too large\n"});
    rows.push_back({call("POST", "/engines/v1/chat/completions", "{not json"), 400, "invalid request\n"});
    rows.push_back({call("POST", "/engines/v1/chat/completions", R"({"messages":[]})"), 400, "model is required\n"});
    rows.push_back({call("POST", "/engines/v1/chat/completions", R"({"model":""})"), 400, "model is required\n"});
    rows.push_back({call("POST", "/engines/v1/chat/completions", R"({"model":"ai/foo","messages":[]})"), 404,
                    "error while getting model: get model '\"ai/foo\"': model not found\n"});
    rows.push_back({call("GET", "/models/ai/foo"), 404, "error while getting model: get model '\"ai/foo\"': model not found\n"});
    rows.push_back({call("POST", "/engines/vllm/v1/chat/completions", R"({"model":"smollm2","messages":[]})"), 412,
                    "backend \"vllm\" is not installed; run: docker model install-runner --backend vllm\n"});
    // DMR's catch-all answers a wrong method (Go 1.22 mux: 405 only when no pattern matches).
    rows.push_back({call("GET", "/engines/v1/chat/completions"), 404, "not found\n"});
    rows.push_back({call("POST", "/models"), 404, "not found\n"});
    // Routes real DMR has and the fake lacks: DMR's 404, not a 501 nothing real sends.
    rows.push_back({call("POST", "/v1/messages", "{}"), 404, "not found\n"});
    rows.push_back({call("POST", "/models/create", "{}"), 404, "404 page not found\n"});
    for(const auto& r : rows)
    {
        EXPECT_EQ(r.p.status, r.status) << r.body;
        EXPECT_EQ(r.p.body, r.body);
        EXPECT_EQ(r.p.headers, text_headers) << r.body;
    }
    // The oversized body's answer closes the connection like Go's MaxBytesReader makes it.
    EXPECT_TRUE(call("POST", "/engines/v1/chat/completions", big).close);
    EXPECT_FALSE(call("POST", "/engines/v1/chat/completions", "{not json").close);
}

TEST_F(handler_fixture, unknown_backend_still_lists_models)
{
    auto p = call("GET", "/engines/foo/v1/models");
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(p.body, call("GET", "/engines/v1/models").body);
}

// DMR's CORS middleware (docs/reference/dmr-failures.md): exact set membership, "*" alone
// allows all, `http://localhost:*` is a literal; Docker Desktop's --cors all|none|list.
TEST_F(handler_fixture, cors_all_is_the_default)
{
    EXPECT_EQ(options.cors, cors_mode::all);
    EXPECT_EQ(call("GET", "/engines/v1/models", "", {{"Origin", "http://evil.example"}}).status, 200);
}

TEST_F(handler_fixture, cors_none_refuses_any_origin_on_wrapped_routes_only)
{
    options.cors = cors_mode::none;
    auto p = call("GET", "/engines/v1/models", "", {{"Origin", "http://localhost"}});
    EXPECT_EQ(p.status, 403);
    EXPECT_EQ(p.body, "Origin not allowed\n");
    EXPECT_EQ(p.headers, text_headers);
    EXPECT_EQ(call("POST", "/engines/v1/chat/completions", R"({"model":"smollm2","messages":[]})", {{"origin", "x"}}).status, 403);
    EXPECT_EQ(call("GET", "/models", "", {{"Origin", "http://localhost"}}).status, 403);
    // `/` and `/version` are outside the middleware.
    EXPECT_EQ(call("GET", "/", "", {{"Origin", "http://evil.example"}}).status, 200);
    EXPECT_EQ(call("GET", "/version", "", {{"Origin", "http://evil.example"}}).status, 200);
    // No Origin: not a browser, nothing to check.
    EXPECT_EQ(call("GET", "/engines/v1/models").status, 200);
}

TEST_F(handler_fixture, cors_engine_default_list_matches_exactly)
{
    cors_from_text("engine-default", options);
    ASSERT_EQ(options.cors, cors_mode::list);
    EXPECT_EQ(options.cors_origins.size(), 12u);
    auto status = [&](const char* origin) { return call("GET", "/engines/v1/models", "", {{"Origin", origin}}).status; };
    EXPECT_EQ(status("http://localhost"), 200);
    EXPECT_EQ(status("https://127.0.0.1"), 200);
    EXPECT_EQ(status("http://0.0.0.0"), 200);
    EXPECT_EQ(status("http://localhost:*"), 200) << "the literal matches itself";
    EXPECT_EQ(status("http://localhost:3000"), 403) << "a real port is refused: the `*` is not a wildcard";
    EXPECT_EQ(status("http://127.0.0.1:8080"), 403);
    EXPECT_EQ(status("http://localhost/"), 403) << "exact string, no normalisation";
    EXPECT_EQ(status("http://localhost.evil.com"), 403);
}

TEST_F(handler_fixture, cors_list_and_star)
{
    cors_from_text("http://app.example:3000, engine-default", options);
    EXPECT_EQ(options.cors_origins.front(), "http://app.example:3000");
    EXPECT_EQ(call("GET", "/models", "", {{"Origin", "http://app.example:3000"}}).status, 200);
    EXPECT_EQ(call("GET", "/models", "", {{"Origin", "http://app.example"}}).status, 403);
    cors_from_text("*", options);
    EXPECT_EQ(call("GET", "/models", "", {{"Origin", "http://anything"}}).status, 200) << "\"*\" alone allows all";
    cors_from_text("*,http://a", options);
    EXPECT_EQ(call("GET", "/models", "", {{"Origin", "http://anything"}}).status, 403) << "\"*\" in a list is a literal";
    EXPECT_THROW(cors_from_text("", options), std::invalid_argument);
    EXPECT_THROW(cors_from_text("all,http://a", options), std::invalid_argument);
    auto o = options_from_json(json{{"cors", json::array({"http://a", "engine-default"})}});
    EXPECT_EQ(o.cors_origins.size(), 13u);
    EXPECT_EQ(options_from_json(json{{"cors", "none"}}).cors, cors_mode::none);
    EXPECT_THROW(options_from_json(json{{"cors", 3}}), std::invalid_argument);
    EXPECT_THROW(options_from_json(json{{"allowed_origins", json::array()}}), std::invalid_argument) << "old key removed";
}

TEST_F(handler_fixture, llama_cpp_json_errors_pass_through)
{
    auto p = call("POST", "/engines/v1/chat/completions", R"({"model":"smollm2"})");
    EXPECT_EQ(p.status, 400);
    EXPECT_EQ(p.body, R"({"error":{"code":400,"message":"Expected 'messages' to be an array","type":"invalid_request_error"}})");
    EXPECT_EQ(p.headers, (fakes::http_kit::header_list{{"Content-Type", "application/json; charset=utf-8"}, {"Server", "llama.cpp"}}));
    // A prompt larger than the model's context.
    std::string huge(8192 * 5, 'x');
    p = call("POST", "/engines/v1/chat/completions", json{{"model", "smollm2"}, {"messages", {{{"role", "user"}, {"content", huge}}}}}.dump());
    EXPECT_EQ(p.status, 400);
    EXPECT_EQ(json::parse(p.body)["error"]["type"], "exceed_context_size_error");
}

TEST_F(handler_fixture, chat_accepts_what_openclaw_sends)
{
    json body = json::parse(R"({"model":"ai/qwen2.5:7B-Q4_K_M","stream":true,"stream_options":{"include_usage":true},
        "tools":[{"type":"function","function":{"name":"read","parameters":{"type":"object"}}}],"tool_choice":"auto",
        "max_completion_tokens":8192,
        "messages":[{"role":"system","content":"you are an agent"},{"role":"user","content":[{"type":"text","text":"hello model"}]}]})");
    auto p = call("POST", "/engines/llama.cpp/v1/chat/completions", body.dump());
    EXPECT_EQ(p.status, 200);
    ASSERT_TRUE(p.streaming);
    EXPECT_EQ(p.headers, (fakes::http_kit::header_list{{"Content-Type", "text/event-stream"}, {"Server", "llama.cpp"}}));
    ASSERT_EQ(p.events.size(), 1u + 3u + 1u + 1u + 1u);
    EXPECT_NE(p.events[1].find(R"("content":"Echo:")"), std::string::npos);
    EXPECT_NE(p.events[1].find(R"("model":"ai/qwen2.5:7B-Q4_K_M")"), std::string::npos);
    EXPECT_NE(p.events[5].find(R"("choices":[])"), std::string::npos);
    EXPECT_EQ(p.events.back(), "data: [DONE]\n\n");
}

TEST_F(handler_fixture, completions_and_embeddings)
{
    auto p = call("POST", "/v1/completions", R"({"model":"smollm2","prompt":"say hi"})");
    EXPECT_EQ(p.status, 200);
    auto j = json::parse(p.body);
    EXPECT_EQ(j["object"], "text_completion");
    EXPECT_EQ(j["choices"][0]["text"], "Echo: say hi");
    p = call("POST", "/v1/embeddings", R"({"model":"smollm2","input":["a","b"]})");
    j = json::parse(p.body);
    EXPECT_EQ(j["object"], "list");
    ASSERT_EQ(j["data"].size(), 2u);
    EXPECT_EQ(j["data"][1]["index"], 1);
    EXPECT_EQ(j["data"][0]["embedding"].size(), 8u);
    EXPECT_NE(j["data"][0]["embedding"], j["data"][1]["embedding"]);
    EXPECT_EQ(json::parse(call("POST", "/v1/embeddings", R"({"model":"smollm2","input":"a"})").body)["data"][0]["embedding"],
              j["data"][0]["embedding"]) << "deterministic";
}

TEST_F(handler_fixture, load_delay_once_per_model)
{
    options.load_delay = std::chrono::milliseconds(300);
    const std::string body = R"({"model":"smollm2","messages":[{"role":"user","content":"x"}]})";
    EXPECT_EQ(call("POST", "/v1/chat/completions", body).load_delay, std::chrono::milliseconds(300));
    EXPECT_EQ(call("POST", "/v1/chat/completions", body).load_delay, std::chrono::milliseconds(0));
    EXPECT_EQ(call("POST", "/v1/chat/completions", R"({"model":"ai/qwen2.5:7B-Q4_K_M","messages":[]})").load_delay,
              std::chrono::milliseconds(300));
}

TEST_F(handler_fixture, repeated_reply_plan_maps_events_lazily)
{
    options.replies = {scripted_reply{"", "long", "a b", std::nullopt, 3}};
    request_handler h(options);
    fakes::http_kit::received_request r;
    r.method = "POST";
    r.target = "/v1/chat/completions";
    r.body = R"({"model":"smollm2","stream":true,"messages":[{"role":"user","content":"long"}]})";
    auto p = h.handle(r);
    ASSERT_TRUE(p.streaming);
    EXPECT_EQ(p.events.size(), 1u + 2u + 1u + 1u);
    ASSERT_EQ(p.event_count(), 1u + 6u + 1u + 1u);
    std::string seq;
    for(std::size_t i = 0; i < p.event_count(); ++i)
    {
        auto e = p.event(i);
        seq += e.find(R"("content":"a")") != std::string_view::npos ? "a" :
               e.find(R"("content":" b")") != std::string_view::npos ? "b" : "-";
    }
    EXPECT_EQ(seq, "-ababab--");
    EXPECT_EQ(p.event(p.event_count() - 1), "data: [DONE]\n\n");
    r.body = R"({"model":"smollm2","messages":[{"role":"user","content":"long"}]})";
    EXPECT_EQ(json::parse(h.handle(r).body)["choices"][0]["message"]["content"], "a ba ba b");
}

// llama.cpp sends a stream's head only once the first result exists, after the prompt
// (docs/reference/dmr-failures.md); the fake withholds it prompt_tokens / prefill_rate.
TEST_F(handler_fixture, prefill_delays_every_inference_by_prompt_size)
{
    EXPECT_EQ(options.prefill_rate, default_prefill_rate);
    EXPECT_EQ(request_handler::prefill_time(8000, 1000.0), std::chrono::milliseconds(8000));
    EXPECT_EQ(request_handler::prefill_time(8000, 0), std::chrono::milliseconds(0));
    EXPECT_EQ(request_handler::prefill_time(1, 4000.0), std::chrono::milliseconds(0)) << "rounded to ms";
    // ~33 KB of messages, as OpenClaw sends: (bytes of the messages JSON)/4 + 1 tokens.
    json body = {{"model", "ai/qwen2.5:7B-Q4_K_M"}, {"stream", true},
                 {"messages", {{{"role", "system"}, {"content", std::string(33000, 'x')}}, {{"role", "user"}, {"content", "hi"}}}}};
    const int tokens = static_cast<int>(body["messages"].dump().size() / 4 + 1);
    auto p = call("POST", "/v1/chat/completions", body.dump());
    EXPECT_EQ(p.prefill, std::chrono::milliseconds(tokens)) << "1000 tokens/s";
    EXPECT_GT(p.prefill, std::chrono::seconds(8));
    // Every request, not only the first: unlike the model load, prefill is per request.
    EXPECT_EQ(call("POST", "/v1/chat/completions", body.dump()).prefill, p.prefill);
    // Non-streamed and embeddings too; a rejected request processes nothing.
    body["stream"] = false;
    EXPECT_EQ(call("POST", "/v1/chat/completions", body.dump()).prefill, p.prefill);
    EXPECT_EQ(call("POST", "/v1/embeddings", R"({"model":"smollm2","input":"a b c d"})").prefill, std::chrono::milliseconds(4));
    EXPECT_EQ(call("POST", "/v1/chat/completions", R"({"model":"ai/foo","messages":[]})").prefill.count(), 0);
    options.prefill_rate = 100000;
    EXPECT_EQ(call("POST", "/v1/chat/completions", body.dump()).prefill, std::chrono::milliseconds((tokens + 50) / 100));
    EXPECT_EQ(options_from_json(json{{"prefill_rate", 250}}).prefill_rate, 250.0);
    EXPECT_THROW(options_from_json(json{{"prefill_rate", -1}}), std::invalid_argument);
    EXPECT_THROW(options_from_json(json{{"prefill_rate", "fast"}}), std::invalid_argument);
}
