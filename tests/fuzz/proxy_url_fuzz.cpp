// Fuzz target: proxy URL parsing (--proxy, $HTTP_PROXY). Invariants: only std::invalid_argument
// escapes; a parsed endpoint has a host and a non-zero port; the password of `user:pass@` never
// appears in what is shown to the user (display, error message); choose_proxy_url's order holds.

#include "fuzz_support.hpp"

#include "core/proxy_url.hpp"

#include <stdexcept>

namespace {

// The userinfo as written, `user:password@` (password still percent-encoded), when the text has
// `scheme://user:pass@host` or `user:pass@host` shape; `password` gets the part after the colon.
// Independent of Boost.URL on purpose.
std::string_view written_userinfo(std::string_view url, std::string_view& password)
{
    if (const auto scheme = url.find("://"); scheme != std::string_view::npos)
        url.remove_prefix(scheme + 3);
    url = url.substr(0, url.find_first_of("/?#"));
    const auto at = url.rfind('@');
    if (at == std::string_view::npos)
        return {};
    const auto colon = url.substr(0, at).find(':');
    if (colon == std::string_view::npos)
        return {};
    password = url.substr(colon + 1, at - colon - 1);
    return url.substr(0, at + 1);
}

std::size_t count(std::string_view hay, std::string_view needle)
{
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1))
        ++n;
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view url(reinterpret_cast<const char*>(data), size);
    // What a leak looks like: `user:password@` as written, in what is shown. Only a password that
    // appears once in the input and is long enough to be unmistakable is looked for ("a" would
    // match any host, and the password text alone may recur as host or port: `h:tus:@3tus`); a
    // password of asterisks cannot be told from the redaction mark itself.
    std::string_view password;
    const auto userinfo = written_userinfo(url, password);
    const bool check_password = password.size() >= 3 && count(url, password) == 1 &&
                                password.find_first_not_of('*') != std::string_view::npos;

    try
    {
        const auto p = mrb::parse_proxy_url(url);
        FUZZ_CHECK(!p.host.empty(), mrb::fuzz::printable(url));
        FUZZ_CHECK(p.port != 0, mrb::fuzz::printable(url));
        FUZZ_CHECK(p.display.rfind("http://", 0) == 0, p.display);
        if (check_password)
        {
            // The display form is `http://user:***@host:port`; the host is shown decoded and may
            // itself hold '@' (`%40`), so the mark is found from the front.
            const auto mark = p.display.find(":***@");
            FUZZ_CHECK(mark != std::string::npos, "credentials lost from the display form: " + p.display);
            // Between the scheme and the mark: the user only ("http" itself may hold the text).
            FUZZ_CHECK(p.display.substr(7, mark - 7).find(password) == std::string::npos,
                       "display shows the password: " + p.display);
        }
        FUZZ_CHECK(p.authorization.empty() || p.authorization.rfind("Basic ", 0) == 0, p.authorization);
    }
    catch (const std::invalid_argument& e)
    {
        const std::string_view message = e.what();
        FUZZ_CHECK(!message.empty(), mrb::fuzz::printable(url));
        if (check_password)
            FUZZ_CHECK(message.find(userinfo) == std::string_view::npos,
                       "error message shows the password: " + mrb::fuzz::printable(message));
    }

    // The flag wins when non-empty, then HTTP_PROXY, then http_proxy, then the sandbox default.
    const std::string value(url.substr(0, 64));
    const mrb::env_lookup env = [&](const char* name) -> std::optional<std::string> {
        if (std::string_view(name) == "HTTP_PROXY" && size % 2)
            return value;
        if (std::string_view(name) == "http_proxy")
            return std::string("lower");
        return std::nullopt;
    };
    const auto chosen = mrb::choose_proxy_url(std::nullopt, env);
    FUZZ_CHECK(chosen == (size % 2 && !value.empty() ? value : std::string("lower")), chosen);
    FUZZ_CHECK(mrb::choose_proxy_url(value, env) == (value.empty() ? chosen : value), value);
    return 0;
}
