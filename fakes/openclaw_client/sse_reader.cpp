#include "sse_reader.hpp"

namespace fakes::openclaw {

void
sse_reader::feed(std::string_view bytes, std::vector<sse_event>& out)
{
    for (char const c : bytes)
    {
        if (after_cr_)
        {
            after_cr_ = false;
            if (c == '\n')
                continue;  // the LF of a CRLF split across chunks
        }
        if (c == '\r' || c == '\n')
        {
            after_cr_ = c == '\r';
            process_line(line_, out);
            line_.clear();
            continue;
        }
        line_ += c;
    }
}

bool
sse_reader::has_partial_event() const
{
    return !line_.empty() || has_data_ || !type_.empty();
}

void
sse_reader::process_line(std::string_view line, std::vector<sse_event>& out)
{
    if (first_line_)
    {
        first_line_ = false;
        if (line.substr(0, 3) == "\xEF\xBB\xBF")
            line.remove_prefix(3);
    }
    if (line.empty())
    {
        // Blank line: dispatch. An event without data is dropped, as browsers do.
        if (has_data_)
        {
            sse_event e;
            e.type = type_.empty() ? "message" : type_;
            e.data = std::move(data_);
            e.id = id_;
            out.push_back(std::move(e));
            ++dispatched_;
        }
        data_.clear();
        type_.clear();
        has_data_ = false;
        return;
    }
    if (line.front() == ':')
    {
        sse_event e;
        e.is_comment = true;
        e.type.clear();
        e.data = std::string(line.substr(1));
        out.push_back(std::move(e));
        return;
    }
    std::string_view field = line;
    std::string_view value;
    if (auto const colon = line.find(':'); colon != std::string_view::npos)
    {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
    }
    if (field == "data")
    {
        if (has_data_)
            data_ += '\n';
        data_ += value;
        has_data_ = true;
    }
    else if (field == "event")
        type_ = std::string(value);
    else if (field == "id")
    {
        if (value.find('\0') == std::string_view::npos)
            id_ = std::string(value);
    }
    // `retry` and unknown fields do not matter to an OpenAI client.
}

}  // namespace fakes::openclaw
