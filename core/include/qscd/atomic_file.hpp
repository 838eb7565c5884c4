// Crash-safe file replacement for keys and certificates (keys, certificates, signatures).
#pragma once

#include <filesystem>
#include <sys/types.h>

#include "qscd/codec/bytes.hpp"

namespace qscd {

// Writes data to a temporary file in the same directory with the given mode, fsyncs it, renames it
// over path and fsyncs the directory, so a crash leaves either the old or the new file, never a mix.
// Error(IoError) naming the file on failure.
void write_file_atomic(const std::filesystem::path& path, ByteView data, mode_t mode);
// Whole file; Error(IoError) naming the file.
Bytes read_file(const std::filesystem::path& path);

}  // namespace qscd
