#include "user_messages.hpp"

namespace fakes::openclaw {

std::string_view
to_string(error_class c)
{
    switch (c)
    {
    case error_class::none: return "none";
    case error_class::connection_refused: return "connection_refused";
    case error_class::connection_reset: return "connection_reset";
    case error_class::timed_out: return "timed_out";
    case error_class::http_status: return "http_status";
    case error_class::stream_cut: return "stream_cut";
    case error_class::bad_response: return "bad_response";
    case error_class::config_error: return "config_error";
    }
    return "unknown";
}

user_outcome
user_messages::for_failure(error_class c, int http_status, std::string const& detail)
{
    auto const code = std::to_string(http_status);
    switch (c)
    {
    case error_class::none:
        return {};
    case error_class::connection_refused:
        return {"LLM request failed: connection refused by the provider endpoint.", 2, true, true};
    case error_class::connection_reset:
        return {"LLM request failed: network connection was interrupted.", 2, true, true};
    case error_class::timed_out:
    case error_class::stream_cut:
        // A close-delimited stream cut before finish_reason reads as a timeout in OpenClaw.
        return {"LLM request timed out.", 2, true, true};
    case error_class::bad_response:
        return {"LLM request failed: invalid response from the provider endpoint.", 2, true, true};
    case error_class::config_error:
        return {"Invalid config: " + detail, 1, false, false};
    case error_class::http_status:
        break;
    }
    if (http_status >= 500)
        return {"request failed (provider internal error, HTTP " + code +
                "). This is usually temporary",
            1, true, false};
    if (http_status == 401 || http_status == 403)
        return {"request failed (authentication failed, HTTP " + code +
                "). Re-authenticate the provider",
            1, false, false};
    if (http_status == 429)
        return {"request failed (rate limited, HTTP 429). Try again later", 1, true, false};
    if (http_status == 408)
        return {"LLM request timed out.", 1, true, false};
    return {"request failed (HTTP " + code + ")", 1, false, false};
}

}  // namespace fakes::openclaw
