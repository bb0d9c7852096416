#pragma once
// A Beast parser that keeps only what the bench needs from a message (status or method and
// target, a few header facts) and hands the body bytes to a callback instead of storing them:
// 100 MB bodies and 10,000 concurrent streams cost no memory. Includes Beast: only .cpp files of
// the bench include it.
#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mrb::bench {

namespace http = boost::beast::http;

// Receives body bytes (already de-chunked) as they are parsed.
class body_observer {
public:
    virtual void on_body_bytes(std::string_view bytes) = 0;

protected:
    ~body_observer() = default;
};

template <bool is_request>
class sink_parser : public http::basic_parser<is_request> {
public:
    explicit sink_parser(body_observer* observer = nullptr) : observer_(observer) {
        this->body_limit(boost::none);  // never cap: large-body workloads are the point
        this->header_limit(64 * 1024);
    }

    int status() const noexcept { return status_; }
    http::verb method() const noexcept { return method_; }
    const std::string& target() const noexcept { return target_; }
    bool event_stream() const noexcept { return event_stream_; }
    std::uint64_t body_bytes() const noexcept { return body_bytes_; }

private:
    void on_request_impl(http::verb method, boost::beast::string_view, boost::beast::string_view target,
                         int, boost::beast::error_code&) override {
        method_ = method;
        target_.assign(target.data(), target.size());
    }
    void on_response_impl(int code, boost::beast::string_view, int, boost::beast::error_code&) override {
        status_ = code;
    }
    void on_field_impl(http::field name, boost::beast::string_view, boost::beast::string_view value,
                       boost::beast::error_code&) override {
        if (name == http::field::content_type) {
            std::string_view v{value.data(), value.size()};
            event_stream_ = v.starts_with("text/event-stream");
        }
    }
    void on_header_impl(boost::beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override {}
    std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override {
        consume(body);
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                   boost::beast::error_code&) override {
        consume(body);
        return body.size();
    }
    void on_finish_impl(boost::beast::error_code&) override {}

    void consume(boost::beast::string_view body) {
        body_bytes_ += body.size();
        if (observer_) observer_->on_body_bytes({body.data(), body.size()});
    }

    body_observer* observer_;
    int status_ = 0;
    http::verb method_ = http::verb::unknown;
    std::string target_;
    bool event_stream_ = false;
    std::uint64_t body_bytes_ = 0;
};

}  // namespace mrb::bench
