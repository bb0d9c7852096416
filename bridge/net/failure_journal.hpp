#pragma once
// Writes the last failure per hop (core/failure_journal.hpp) to its file, replaced atomically
// (temp file + rename) at most about once a second per hop. Thread-safe. A write that fails is
// reported once on stderr by the caller's log and otherwise ignored: it must never fail a request.

#include "core/failure_journal.hpp"

#include <filesystem>
#include <mutex>
#include <string>

namespace mrb {

class failure_journal
{
public:
    explicit failure_journal(std::filesystem::path file);
    /// Writes what is still pending.
    ~failure_journal();

    failure_journal(const failure_journal&) = delete;
    failure_journal& operator=(const failure_journal&) = delete;

    /// Keeps the note; writes the file when due. Returns false when a write failed (`error` set).
    bool note(failure_note n, std::string& error);
    bool flush(std::string& error);

    const std::filesystem::path& file() const { return file_; }

private:
    bool write_locked(std::string& error);

    std::filesystem::path file_;
    std::mutex mutex_;
    failure_journal_state state_;
};

} // namespace mrb
