#pragma once
// request_handler: the sans-I/O heart of the fake. One received request in, one response plan
// out (status, headers, body or SSE events, model-loading delay). The session writes the plan
// with faults; tests call handle() directly, no sockets.

#include "model_catalog.hpp"
#include "reply_script.hpp"
#include "runner_options.hpp"

#include <http_kit/http_io.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fakes::model_runner {

struct response_plan
{
    int status = 200;
    http_kit::header_list headers;            ///< content headers; Date and framing are added on the wire
    std::string body;                         ///< when !streaming
    bool streaming = false;
    std::vector<std::string> events;          ///< complete SSE events ("data: ...\n\n")
    /// events[repeat_from, repeat_to) are sent repeat_times times in a row (big replies
    /// without materialising them).
    std::size_t repeat_from = 0;
    std::size_t repeat_to = 0;
    std::size_t repeat_times = 1;
    /// Events actually sent, repetitions included.
    std::size_t event_count() const { return events.size() + (repeat_to - repeat_from) * (repeat_times - 1); }
    std::string_view event(std::size_t i) const
    {
        const std::size_t span = repeat_to - repeat_from;
        if(i < repeat_from || span == 0)
            return events[i];
        if(i < repeat_from + span * repeat_times)
            return events[repeat_from + (i - repeat_from) % span];
        return events[i - span * (repeat_times - 1)];
    }
    std::chrono::milliseconds load_delay{0};  ///< wait before headers (model loading)
    std::chrono::milliseconds prefill{0};     ///< then this, before headers (prompt processing)
    bool close = false;                       ///< Connection: close, then close
};

class request_handler
{
public:
    explicit request_handler(const runner_options& options);

    response_plan handle(const http_kit::received_request& req);

    /// Go http.Error: text/plain; charset=utf-8, nosniff, message + "\n".
    static response_plan text_error(int status, std::string_view message);
    /// llama.cpp JSON error {"error":{"code","message","type"}} (passed through by DMR).
    static response_plan llama_error(int status, std::string_view message, std::string_view type);

    /// llama.cpp's response headers: Content-Type, then `Server: llama.cpp`.
    static http_kit::header_list llama_headers(std::string_view content_type);

    const model_catalog& catalog() const { return catalog_; }

    /// True if DMR's CORS middleware lets `origin` through (options' cors mode, exact match).
    bool origin_allowed(std::string_view origin) const;

    /// Time llama.cpp needs to process `prompt_tokens` at `rate` tokens/s (0 = instant).
    static std::chrono::milliseconds prefill_time(int prompt_tokens, double rate);

private:
    response_plan dmr_json(const std::string& json) const;
    response_plan inference(const http_kit::received_request& req, int kind, const std::string& backend);
    std::string next_id(std::string_view prefix);
    std::chrono::milliseconds take_load_delay(const std::string& model);

    const runner_options& options_;
    model_catalog catalog_;
    reply_script script_;
    std::atomic<std::uint64_t> counter_{0};
    std::mutex loaded_mutex_;
    std::set<std::string> loaded_;
};

} // namespace fakes::model_runner
