// Differential check in the spirit of HTTP Garden (issue 10): the built bridge runs in front of
// a recording upstream; for every input the bridge accepts, the bytes it sends upstream, parsed
// by an independent strict parser (strict_http.cpp), must be exactly the requests the client
// framed by the same strict reading: same count (never more), same method, target and body; and
// no stray bytes may sit on an open upstream connection. Inputs: the request fuzz corpus, the
// known smuggling vectors, and byte mutations (control bytes and a few others) before, inside and
// after the name, colon and value of Content-Length and Transfer-Encoding.

#include "strict_http.hpp"

#include "bridge_process.hpp"
#include "raw_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#ifndef MRB_BRIDGE_BINARY
#error "MRB_BRIDGE_BINARY must name the model-runner-bridge binary"
#endif
#ifndef MRB_FUZZ_CORPUS
#error "MRB_FUZZ_CORPUS must name tests/fuzz/corpus"
#endif

namespace {

using namespace std::chrono_literals;
using mrb::fuzz::strict_request;

/// Accepts connections, records every byte, parses requests strictly as they complete and
/// answers each with a small 200. A strict-parse error is recorded and the connection closed.
class recording_upstream
{
public:
    recording_upstream()
    {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0)
            throw std::runtime_error("recording_upstream: cannot listen");
        socklen_t len = sizeof a;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~recording_upstream()
    {
        stopping_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);
        ::close(listen_fd_);
        acceptor_.join();
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            for (auto& [fd, c] : conns_)
                ::shutdown(fd, SHUT_RDWR);
            threads.swap(threads_);
        }
        for (auto& t : threads)
            t.join();
    }

    std::uint16_t port() const { return port_; }

    struct snapshot
    {
        std::vector<strict_request> requests;
        std::vector<std::string> errors;
        std::vector<std::string> dangling; // open connections holding bytes of no complete request
        std::uint64_t bytes = 0;
    };

    /// What arrived since the last take(), once the upstream side has been quiet for a moment.
    snapshot take()
    {
        std::uint64_t last = ~0ull;
        for (int i = 0; i < 200; ++i)
        {
            std::this_thread::sleep_for(10ms);
            std::lock_guard lock(mutex_);
            if (bytes_ == last)
                break;
            last = bytes_;
        }
        // A bridge that cut a request short closes that connection: give it the time to.
        for (int i = 0; i < 50 && has_dangling(); ++i)
            std::this_thread::sleep_for(10ms);
        std::lock_guard lock(mutex_);
        snapshot s;
        s.requests.swap(requests_);
        s.errors.swap(errors_);
        s.bytes = bytes_ - taken_bytes_;
        taken_bytes_ = bytes_;
        for (const auto& [fd, c] : conns_)
            if (c.open && !c.buffer.empty())
                s.dangling.push_back(c.buffer);
        return s;
    }

private:
    bool has_dangling()
    {
        std::lock_guard lock(mutex_);
        for (const auto& [fd, c] : conns_)
            if (c.open && !c.buffer.empty())
                return true;
        return false;
    }

    struct connection
    {
        std::string buffer; // bytes not yet part of a complete request
        bool open = true;
    };

    void accept_loop()
    {
        while (!stopping_)
        {
            const int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd < 0)
                return;
            std::lock_guard lock(mutex_);
            conns_[fd] = {};
            threads_.emplace_back([this, fd] { serve(fd); });
        }
    }

    void serve(int fd)
    {
        char buf[16384];
        for (;;)
        {
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                break;
            std::string replies;
            bool close_now = false;
            {
                std::lock_guard lock(mutex_);
                auto& c = conns_[fd];
                c.buffer.append(buf, static_cast<std::size_t>(n));
                bytes_ += static_cast<std::uint64_t>(n);
                for (;;)
                {
                    auto p = mrb::fuzz::parse_strict_request(c.buffer);
                    if (p.result == mrb::fuzz::strict_parse::status::incomplete)
                        break;
                    if (p.result == mrb::fuzz::strict_parse::status::error)
                    {
                        errors_.push_back(p.error + " in: " + c.buffer.substr(0, 300));
                        close_now = true;
                        break;
                    }
                    requests_.push_back(std::move(p.request));
                    c.buffer.erase(0, p.consumed);
                    replies += "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                }
                if (close_now)
                    c.open = false;
            }
            if (!replies.empty())
                ::send(fd, replies.data(), replies.size(), MSG_NOSIGNAL);
            if (close_now)
                break;
        }
        {
            std::lock_guard lock(mutex_);
            conns_[fd].open = false;
        }
        ::close(fd);
    }

    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
    std::mutex mutex_;
    std::map<int, connection> conns_;
    std::vector<std::thread> threads_;
    std::vector<strict_request> requests_;
    std::vector<std::string> errors_;
    std::uint64_t bytes_ = 0;
    std::uint64_t taken_bytes_ = 0;
};

std::string show(std::string_view s)
{
    std::string out;
    for (unsigned char c : s.substr(0, 400))
    {
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out += static_cast<char>(c);
        else
        {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        }
    }
    return out;
}

std::string show(const strict_request& r)
{
    return r.method + " " + r.target + " body[" + std::to_string(r.body.size()) + "]=" + show(r.body);
}

class differential : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        upstream_ = new recording_upstream();
        mrb::test::bridge_options o;
        o.program = MRB_BRIDGE_BINARY;
        // Another build (an older commit, a sanitizer build) can be put through the same check.
        if (const char* other = std::getenv("MRB_DIFFERENTIAL_BRIDGE"))
            o.program = other;
        o.args = {"--direct", "--target", "127.0.0.1:" + std::to_string(upstream_->port()),
                  "--client-header-timeout", "2s", "--idle-timeout", "2s"};
        bridge_ = new mrb::test::bridge_process(o);
        ASSERT_TRUE(bridge_->start());
    }
    static void TearDownTestSuite()
    {
        delete bridge_;
        delete upstream_;
        bridge_ = nullptr;
        upstream_ = nullptr;
    }

    /// Sends `input` on a fresh connection, lets the exchange finish, and returns "" when the
    /// upstream saw exactly a prefix of what the client framed, else what went wrong.
    static std::string check(const std::string& input)
    {
        upstream_->take(); // nothing left over from the previous input
        const auto framed = mrb::fuzz::parse_strict_stream(input);
        {
            auto client = mrb::test::raw_client::try_connect(bridge_->port());
            if (!client)
                return "cannot connect to the bridge";
            client->send(input);
            // Each framed request gets an answer, and so does a refusal of what follows them;
            // stop at a close or a lull.
            const bool clean = !framed.error && framed.rest == 0;
            const std::size_t answers = framed.requests.size() + (clean ? 0 : 1);
            for (std::size_t i = 0; i < answers && !client->peer_closed(); ++i)
            {
                const bool head = i < framed.requests.size() && framed.requests[i].method == "HEAD";
                if (!client->read_response(i < framed.requests.size() ? 1500ms : 300ms, head))
                    break;
            }
        }
        const auto seen = upstream_->take();
        std::string problems;
        for (const auto& e : seen.errors)
            problems += "\n  upstream got malformed bytes: " + show(e);
        for (const auto& d : seen.dangling)
            problems += "\n  bytes of no complete request left on an open upstream connection: " + show(d);
        if (seen.requests.size() > framed.requests.size())
            problems += "\n  upstream got " + std::to_string(seen.requests.size()) + " requests, the client framed " +
                        std::to_string(framed.requests.size()) +
                        (framed.error ? " (strict reading stops: " + *framed.error + ")" : std::string());
        for (std::size_t i = 0; i < seen.requests.size(); ++i)
        {
            auto expected = i < framed.requests.size() ? framed.requests[i] : strict_request{};
            expected.target = mrb::fuzz::origin_form_of(expected.target);
            if (seen.requests[i] != expected)
                problems += "\n  request " + std::to_string(i + 1) + " upstream: " + show(seen.requests[i]) +
                            "\n            client framed: " + (i < framed.requests.size() ? show(expected) : "nothing");
        }
        return problems.empty() ? "" : "input: " + show(input) + problems;
    }

    static recording_upstream* upstream_;
    static mrb::test::bridge_process* bridge_;
};

recording_upstream* differential::upstream_ = nullptr;
mrb::test::bridge_process* differential::bridge_ = nullptr;

const std::string second = "GET /second HTTP/1.1\r\nHost: a\r\n\r\n";

TEST(strict_http, reads_what_rfc_9112_frames_and_refuses_ambiguity)
{
    const auto s = mrb::fuzz::parse_strict_stream(
        "\r\nPOST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nT: 1\r\n\r\n"
        "PUT http://h/b?q HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nhi");
    ASSERT_FALSE(s.error) << *s.error;
    ASSERT_EQ(s.requests.size(), 2u);
    EXPECT_EQ(s.requests[0], (strict_request{"POST", "/a", "abc"}));
    EXPECT_EQ(mrb::fuzz::origin_form_of(s.requests[1].target), "/b?q");
    EXPECT_EQ(s.requests[1].body, "hi");
    for (const char* bad : {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
                            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                            "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", "GET / HTTP/1.1\nHost: a\r\n\r\n",
                            "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
                            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"})
        EXPECT_TRUE(mrb::fuzz::parse_strict_stream(bad).error) << show(bad);
}

// Issue 10 item 1: the body went upstream de-chunked under headers that still said chunked, and
// the request hidden in it reached the runner. Fails on the bridge before "core: one framing
// decision", passes after it.
TEST_F(differential, transfer_encoding_over_two_fields_smuggles_nothing)
{
    const std::string smuggled = "GET /poison HTTP/1.1\r\nHost: a\r\n\r\n";
    char size[16];
    std::snprintf(size, sizeof size, "%zx", smuggled.size());
    for (const char* first : {"gzip", "identity", "chunked", "x"})
    {
        const std::string input = "POST /engines/v1/chat/completions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + std::string(first) +
                                  "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + smuggled + "\r\n0\r\n\r\n" + second;
        EXPECT_EQ(check(input), "");
    }
}

// Found by fuzz_request_pipeline: Boost.URL 1.81 reads `http://host:PORTjunk` as port PORT and
// path `junk`, so check_target took `http://<target>.evil.com/x` for the target and sent on a
// target that is not origin-form (direct) or names another authority (proxy).
TEST_F(differential, absolute_form_targets_go_upstream_as_their_path)
{
    const std::string authority = "127.0.0.1:" + std::to_string(upstream_->port());
    for (const char* rest : {"/x", "", "?q=1", "/a?b", ".evil.com/x", "abc", "+mo=1", "x/y", "#f"})
        EXPECT_EQ(check("GET http://" + authority + rest + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n" + second), "");
}

// Found by this check on the grown corpus: Beast accepts bytes 0x80-0xff in a request target and
// the bridge sends them on; RFC 9112's request-target is ASCII, so a strict next hop refuses them.
TEST_F(differential, targets_outside_ascii_are_not_sent_on)
{
    for (const std::string& path : {std::string("/\xf9x"), std::string("/caf\xc3\xa9"), std::string("/a?q=\xff")})
        EXPECT_EQ(check("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n" + second), "");
}

TEST_F(differential, the_request_corpus_goes_upstream_as_framed)
{
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(std::string(MRB_FUZZ_CORPUS) + "/request_pipeline"))
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty());
    std::size_t checked = 0;
    for (const auto& f : files)
    {
        std::ifstream in(f, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (bytes.empty())
            continue;
        bytes.erase(0, 1); // the target's flags byte
        EXPECT_EQ(check(bytes), "") << f.filename();
        ++checked;
    }
    std::printf("differential: %zu corpus inputs\n", checked);
}

// Each control byte, and a few others that parsers read differently, put before, inside and
// after the name, colon and value of the framing field; a pipelined second request behind shows
// any desynchronisation.
TEST_F(differential, framing_field_mutations_go_upstream_as_framed)
{
    struct base
    {
        std::string before, name, value, after;
    };
    const base bases[] = {
        {"POST /m HTTP/1.1\r\nHost: a\r\n", "Content-Length", "5", "\r\n\r\nhello" + second},
        {"POST /m HTTP/1.1\r\nHost: a\r\n", "Transfer-Encoding", "chunked",
         "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + second},
    };
    std::string bytes;
    for (int c = 0; c < 0x20; ++c)
        bytes += static_cast<char>(c);
    bytes += std::string("\x7f\x80\xff ,;\"=+-0", 12);
    std::size_t checked = 0;
    for (const auto& b : bases)
    {
        const std::string field = b.name + ": " + b.value;
        const std::size_t colon = b.name.size();
        // before the name, inside it, before the colon, after it, before, inside, after the value
        const std::size_t at[] = {0, b.name.size() / 2, colon, colon + 1, colon + 2,
                                  colon + 2 + b.value.size() / 2, field.size()};
        for (std::size_t pos : at)
            for (char x : bytes)
                for (int mode = 0; mode < 2; ++mode)
                {
                    std::string f = field;
                    if (mode == 0)
                        f.insert(pos, 1, x);
                    else if (pos < f.size())
                        f[pos] = x;
                    else
                        continue;
                    EXPECT_EQ(check(b.before + f + b.after), "");
                    ++checked;
                }
    }
    std::printf("differential: %zu framing-field mutations\n", checked);
}

} // namespace
