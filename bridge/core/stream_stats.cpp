#include "core/stream_stats.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace mrb {

namespace {

/// A model name fit for a label: printable ASCII, at most 128 bytes; anything else is dropped.
std::string label_safe(std::string_view name)
{
    if(name.size() > 128)
        return {};
    for(unsigned char c : name)
        if(c < 0x20 || c >= 0x7f)
            return {};
    return std::string(name);
}

} // namespace

std::size_t stream_stats::feed(std::string_view bytes)
{
    bytes_ += bytes.size();
    const std::uint64_t before = data_lines_;
    for(char c : bytes)
    {
        if(c == '\n')
        {
            if(after_cr_)
            {
                after_cr_ = false; // the LF of a CRLF: the line already ended at the CR
                continue;
            }
            end_line();
            continue;
        }
        after_cr_ = false;
        if(c == '\r')
        {
            end_line();
            after_cr_ = true;
            continue;
        }
        if(line_.size() < max_line)
            line_ += c;
        else
            line_overflow_ = true;
    }
    return static_cast<std::size_t>(data_lines_ - before);
}

void stream_stats::end_line()
{
    std::string_view line = line_;
    if(line.starts_with("data:"))
    {
        ++data_lines_;
        std::string_view payload = line.substr(5);
        if(payload.starts_with(' '))
            payload.remove_prefix(1);
        if(payload == "[DONE]")
            ++done_lines_;
        else if(!line_overflow_)
            parse_data(payload);
    }
    line_.clear();
    line_overflow_ = false;
}

void stream_stats::parse_data(std::string_view payload)
{
    const bool wants_model = model_.empty() && payload.find("\"model\"") != std::string_view::npos;
    const bool has_usage = payload.find("\"usage\"") != std::string_view::npos;
    const bool has_timings = payload.find("\"timings\"") != std::string_view::npos;
    if(!wants_model && !has_usage && !has_timings)
        return;
    const auto j = nlohmann::json::parse(payload, nullptr, false);
    if(!j.is_object())
        return;
    if(wants_model)
        if(auto m = j.find("model"); m != j.end() && m->is_string())
            model_ = label_safe(m->get_ref<const std::string&>());
    if(auto u = j.find("usage"); u != j.end() && u->is_object())
        if(auto t = u->find("completion_tokens"); t != u->end() && t->is_number_unsigned())
            completion_tokens_ = t->get<std::uint64_t>();
    if(auto t = j.find("timings"); t != j.end() && t->is_object())
        if(auto p = t->find("predicted_per_second"); p != t->end() && p->is_number())
            predicted_per_second_ = std::max(0.0, p->get<double>());
}

stream_sample stream_stats::sample(std::int64_t first_event_us, std::int64_t end_us) const
{
    stream_sample s;
    s.model = model_;
    s.first_event_us = first_event_us;
    s.events = data_lines_;
    s.bytes = bytes_;
    s.completion_tokens = completion_tokens_ != 0 ? completion_tokens_ : data_lines_ - done_lines_;
    if(predicted_per_second_ > 0)
        s.tokens_per_second = predicted_per_second_;
    else if(first_event_us >= 0 && end_us > first_event_us && s.completion_tokens > 1)
        // From the first event to the end: the first token's wait is prefill, not generation.
        s.tokens_per_second = static_cast<double>(s.completion_tokens - 1) * 1e6 /
                              static_cast<double>(end_us - first_event_us);
    return s;
}

} // namespace mrb
