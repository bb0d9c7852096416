#include "http_wire.hpp"

#include <cctype>

namespace mrb::test {

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::size_t http_head::count(std::string_view name) const
{
    std::size_t n = 0;
    for (const auto& [k, v] : fields)
        if (iequals(k, name))
            ++n;
    return n;
}

std::optional<std::string> http_head::get(std::string_view name) const
{
    for (const auto& [k, v] : fields)
        if (iequals(k, name))
            return v;
    return std::nullopt;
}

int http_head::status() const
{
    // "HTTP/1.1 200 OK"
    if (start_line.rfind("HTTP/", 0) != 0 || start_line.size() < 12)
        return 0;
    const auto sp = start_line.find(' ');
    if (sp == std::string::npos || sp + 4 > start_line.size())
        return 0;
    int code = 0;
    for (std::size_t i = sp + 1; i < sp + 4; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(start_line[i])))
            return 0;
        code = code * 10 + (start_line[i] - '0');
    }
    return code;
}

std::size_t head_end(std::string_view data)
{
    const auto p = data.find("\r\n\r\n");
    return p == std::string_view::npos ? std::string_view::npos : p + 4;
}

static std::string_view trim_ows(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::optional<http_head> parse_head(std::string_view text)
{
    if (const auto end = head_end(text); end != std::string_view::npos)
        text = text.substr(0, end - 4);
    http_head head;
    bool first = true;
    while (!text.empty() || first) {
        const auto eol = text.find("\r\n");
        const auto line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 2);
        if (first) {
            head.start_line = std::string(line);
            first = false;
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return std::nullopt;
        head.fields.emplace_back(std::string(line.substr(0, colon)), std::string(trim_ows(line.substr(colon + 1))));
    }
    return head;
}

std::size_t chunked_decoder::feed(std::string_view data, std::string& out)
{
    const std::size_t total = data.size();
    while (!data.empty() && state_ != state::done && state_ != state::error) {
        switch (state_) {
        case state::size_line:
        case state::trailer: {
            const auto lf = data.find('\n');
            line_.append(data.substr(0, lf));
            if (lf == std::string_view::npos) {
                data = {};
                if (line_.size() > 16384)
                    state_ = state::error;
                break;
            }
            data.remove_prefix(lf + 1);
            if (line_.empty() || line_.back() != '\r') {
                state_ = state::error;  // bare LF
                break;
            }
            line_.pop_back();
            if (state_ == state::trailer) {
                if (line_.empty())
                    state_ = state::done;
                else
                    trailers_ += line_ + "\r\n";
                line_.clear();
                break;
            }
            // chunk-size [ ; ext ]
            std::string_view size = line_;
            size = size.substr(0, size.find(';'));
            if (size.empty() || size.size() > 15) {
                state_ = state::error;
                break;
            }
            std::size_t n = 0;
            for (char c : size) {
                if (!std::isxdigit(static_cast<unsigned char>(c))) {
                    state_ = state::error;
                    break;
                }
                n = n * 16 + static_cast<std::size_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10);
            }
            line_.clear();
            if (state_ == state::error)
                break;
            remaining_ = n;
            state_ = n == 0 ? state::trailer : state::data;
            break;
        }
        case state::data: {
            const auto take = std::min(remaining_, data.size());
            out.append(data.substr(0, take));
            data.remove_prefix(take);
            remaining_ -= take;
            if (remaining_ == 0)
                state_ = state::data_crlf;
            break;
        }
        case state::data_crlf:
            line_.push_back(data.front());
            data.remove_prefix(1);
            if (line_.size() == 2) {
                state_ = line_ == "\r\n" ? state::size_line : state::error;
                line_.clear();
            }
            break;
        case state::done:
        case state::error:
            break;
        }
    }
    return total - data.size();
}

std::vector<std::string> sse_events(std::string_view payload)
{
    // Events end with a blank line; accept LF and CRLF line ends (the SSE grammar allows both).
    std::vector<std::string> events;
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < payload.size()) {
        std::size_t sep = 0;
        if (payload.compare(i, 2, "\n\n") == 0)
            sep = 2;
        else if (payload.compare(i, 4, "\r\n\r\n") == 0)
            sep = 4;
        if (sep != 0) {
            events.emplace_back(payload.substr(start, i - start));
            i += sep;
            start = i;
        } else {
            ++i;
        }
    }
    return events;
}

}  // namespace mrb::test
