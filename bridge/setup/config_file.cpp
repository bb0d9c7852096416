#include "bridge/setup/config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace mrb::setup {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// Writes all of `data` to a new file `path` with `mode`, fsync'ed; removes it on failure.
bool write_new_file(const std::filesystem::path& path, const std::string& data, mode_t mode, std::error_code& ec) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    ec = last_error();
    return false;
  }
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    else done += static_cast<std::size_t>(n);
  }
  // The umask may have narrowed the mode at creation; the file must end up exactly `mode`.
  if (ok && ::fchmod(fd, mode) != 0) ok = false;
  if (ok && ::fsync(fd) != 0) ok = false;
  if (!ok) ec = last_error();
  if (::close(fd) != 0 && ok) {
    ec = last_error();
    ok = false;
  }
  if (!ok) ::unlink(path.c_str());
  return ok;
}

std::filesystem::path temp_name(const std::filesystem::path& target) {
  std::random_device rd;
  return target.parent_path() / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(rd() % 1000000));
}

// Writes `data` beside `target` and renames it into place.
bool replace_file(const std::filesystem::path& target, const std::string& data, mode_t mode, std::error_code& ec) {
  const auto tmp = temp_name(target);
  if (!write_new_file(tmp, data, mode, ec)) return false;
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    ec = last_error();
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool fsync_dir(const std::filesystem::path& dir, std::error_code& ec) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    ec = last_error();
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  if (!ok) ec = last_error();
  ::close(fd);
  return ok;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

std::optional<std::string> config_file::read(const std::filesystem::path& path, std::error_code& ec) {
  ec.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    ec = last_error();
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    ec = std::make_error_code(std::errc::io_error);
    return std::nullopt;
  }
  return buffer.str();
}

std::vector<std::filesystem::path> config_file::backups(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> out;
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::string prefix = path.filename().string() + ".bak-";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) out.push_back(e.path());
  }
  // The timestamp sorts as text; a same-second "-N" suffix sorts after its base name.
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::filesystem::path> config_file::write(const std::filesystem::path& path, const std::string& text,
                                                        std::error_code& ec) {
  ec.clear();
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::exists(dir, ec)) {
    if (ec) return std::nullopt;
    std::filesystem::create_directories(dir, ec);
    if (ec) return std::nullopt;
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    if (ec) return std::nullopt;
  }
  mode_t mode = S_IRUSR | S_IWUSR;
  std::optional<std::filesystem::path> backup;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
    // Keep the previous version under a name no earlier backup has; written as carefully as the
    // config itself, and created exclusively so that no backup is ever overwritten.
    auto old = read(path, ec);
    if (ec) return std::nullopt;
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    const std::string base = path.string() + ".bak-" + stamp;
    for (int n = 0; !backup; ++n) {
      const std::filesystem::path candidate = n == 0 ? base : base + "-" + std::to_string(n);
      std::error_code exists_ec;
      if (std::filesystem::exists(candidate, exists_ec)) continue;
      if (!write_new_file(candidate, old.value_or(""), mode, ec)) {
        if (ec == std::errc::file_exists && n < 1000) {
          ec.clear();
          continue;
        }
        return std::nullopt;
      }
      backup = candidate;
    }
  } else if (errno != ENOENT) {
    ec = last_error();
    return std::nullopt;
  }
  if (!replace_file(path, text, mode, ec)) return backup;
  fsync_dir(dir, ec);
  // Prune: the oldest backup (the user's own settings before any configure) stays for good.
  auto all = backups(path);
  if (all.size() > backups_kept + 1) {
    std::error_code ignored;
    for (std::size_t i = 1; i + backups_kept < all.size(); ++i) std::filesystem::remove(all[i], ignored);
  }
  return backup;
}

std::filesystem::path config_file::default_path() {
  if (auto p = env("OPENCLAW_CONFIG_PATH"); !p.empty()) return p;
  if (auto p = env("OPENCLAW_STATE_DIR"); !p.empty()) return std::filesystem::path(p) / "openclaw.json";
  if (auto p = env("OPENCLAW_HOME"); !p.empty()) return std::filesystem::path(p) / ".openclaw" / "openclaw.json";
  return std::filesystem::path(env("HOME")) / ".openclaw" / "openclaw.json";
}

}  // namespace mrb::setup
