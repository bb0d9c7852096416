#pragma once

#include "error_class.hpp"

#include <string>

namespace fakes::openclaw {

/// What OpenClaw tells the user and how it behaves for one failure.
struct user_outcome
{
    std::string message;
    int exit_code = 0;
    bool retryable = false;
    bool network = false;  // network failures get one retry fewer than 5xx (7 vs 8 requests)
};

/// The table of openclaw-client.md "How it reacts to failures". Rows the reference does not
/// cover (other 4xx, bad responses, config errors) are our best guess and say so in
/// docs/fake-openclaw.md.
class user_messages
{
public:
    static user_outcome for_failure(error_class c, int http_status, std::string const& detail);
};

}  // namespace fakes::openclaw
