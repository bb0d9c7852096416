#include "squid_instance.hpp"

#include "loopback_port.hpp"
#include "raw_client.hpp"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mrb::test {

namespace {

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

squid_instance::squid_instance(squid_options opts) : options_(std::move(opts))
{
    std::string tmpl = (std::filesystem::temp_directory_path() / "mrb-squid-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed for " + tmpl);
    run_dir_ = tmpl;
    // Started as root, Squid drops to `proxy`, which must be able to write its logs and pid.
    if (::geteuid() == 0)
        if (const passwd* pw = ::getpwnam("proxy"))
            [[maybe_unused]] int rc = ::chown(run_dir_.c_str(), pw->pw_uid, pw->pw_gid);
}

squid_instance::~squid_instance()
{
    child_.reset();  // SIGKILL + reap
    std::error_code ec;
    std::filesystem::remove_all(run_dir_, ec);
}

std::string squid_instance::config(std::uint16_t port) const
{
    std::ostringstream c;
    c << "http_port 127.0.0.1:" << port << "\n"
      << "visible_hostname mrb-test-squid\n"
      << "pid_filename " << run_dir_ << "/squid.pid\n"
      << "cache_log " << run_dir_ << "/cache.log\n"
      << "access_log stdio:" << run_dir_ << "/access.log squid\n"
      << "cache_store_log none\n"
      << "netdb_filename none\n"
      << "coredump_dir " << run_dir_ << "\n"
      << "cache deny all\n"
      << "cache_mem 0 MB\n"
      << "pinger_enable off\n"
      << "dns_nameservers 127.0.0.1\n"
      << "shutdown_lifetime 1 seconds\n";
    if (options_.client_idle_pconn_timeout_s > 0)
        c << "client_idle_pconn_timeout " << options_.client_idle_pconn_timeout_s << " seconds\n";
    c << "acl model_host dstdomain -n";
    for (const auto& h : options_.allowed_hosts)
        c << ' ' << h;
    c << "\nacl model_port port";
    for (const auto p : options_.allowed_ports)
        c << ' ' << p;
    c << "\nhttp_access allow model_host model_port\n"
      << "http_access deny all\n"
      << options_.extra_config << "\n";
    return c.str();
}

testing::AssertionResult squid_instance::start(std::chrono::milliseconds timeout)
{
    if (options_.allowed_ports.empty())
        return testing::AssertionFailure() << "squid_options.allowed_ports is empty";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last_failure;
    // The port is free when chosen but may be taken before Squid binds it: retry a few times.
    for (int attempt = 0; attempt < 4 && std::chrono::steady_clock::now() < deadline; ++attempt) {
        child_.reset();
        const std::uint16_t port = unused_loopback_port();
        const std::string conf_path = run_dir_ + "/squid.conf";
        {
            std::ofstream out(conf_path);
            out << config(port);
        }
        std::filesystem::remove(run_dir_ + "/squid.pid");
        try {
            child_ = std::make_unique<child_process>(options_.program,
                std::vector<std::string>{"-N", "-d", "1", "-f", conf_path});
        } catch (const std::exception& e) {
            return testing::AssertionFailure() << "cannot start squid: " << e.what();
        }
        // Ready when the port accepts; give up on this attempt if Squid exits.
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto c = raw_client::try_connect(port)) {
                port_ = port;
                return testing::AssertionSuccess();
            }
            if (child_->wait_exit(std::chrono::milliseconds(20)))
                break;
        }
        last_failure = "squid did not accept on 127.0.0.1:" + std::to_string(port) + "\n--- stderr ---\n"
            + child_->text(child_process::stream::err) + "--- cache.log ---\n" + cache_log();
    }
    return testing::AssertionFailure() << last_failure;
}

std::string squid_instance::access_log() const
{
    return read_file(run_dir_ + "/access.log");
}

std::string squid_instance::cache_log() const
{
    return read_file(run_dir_ + "/cache.log");
}

}  // namespace mrb::test
