// Crash-safe file replacement for keys and certificates (keys, certificates, signatures), and the
// checks that keep a document or an output to what it should be: a regular file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

#include "qscd/codec/bytes.hpp"

namespace qscd {

// What a path names, following symbolic links (a link to a directory is a directory).
enum class FileKind { Missing, Regular, Directory, Fifo, Device, Socket, Other };
FileKind file_kind(const std::filesystem::path& path);
// "a directory", "a FIFO", "a device", ... for messages ("x is a directory").
const char* describe(FileKind kind);
// True when both paths name the same file (same device and inode; links and ./ spellings included).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// An output checked before the work that produces it: the constructor checks that `path` is absent,
// or a regular file when `replace` is set (never a directory, FIFO, device or socket, even through a
// symbolic link: Error(InvalidArgument) naming it), and that a file can be created beside it (a probe
// is created and removed at once: nothing is left if the process dies meanwhile), so an output that
// cannot be written fails before a card is asked to sign. commit() writes a temporary, syncs it,
// re-checks the target and renames the temporary over it (without `replace`, never over a file that
// appeared meanwhile). Every error names `path`, never the temporary.
class PendingFile {
public:
    PendingFile(std::filesystem::path path, mode_t mode, bool replace);

    const std::filesystem::path& path() const { return path_; }
    void commit(ByteView data);

private:
    std::filesystem::path path_;
    mode_t mode_;
    bool replace_;
    bool committed_ = false;
};

// Refuses (Error(InvalidArgument)) an existing `path` that is not a regular file, or any existing file
// when !replace ("exists; use --force"). Missing is fine.
void check_output_path(const std::filesystem::path& path, bool replace);

// Writes data to a temporary file in the same directory with the given mode, fsyncs it, renames it
// over path and fsyncs the directory, so a crash leaves either the old or the new file, never a mix.
// Replaces only a regular file. Error(IoError) naming the file on failure.
void write_file_atomic(const std::filesystem::path& path, ByteView data, mode_t mode);
// Whole file; Error(NotFound) when it does not exist, Error(InvalidArgument) for a directory,
// Error(IoError) naming the file otherwise. (A pipe is read: `--ca <(cat a.pem b.pem)` works.)
Bytes read_file(const std::filesystem::path& path);

}  // namespace qscd
