// One state file per token, replaced atomically (temp file O_EXCL 0600 + fsync + rename + fsync dir).
#pragma once

#include <filesystem>

#include "qscd/sim/platform.hpp"

namespace qscd::sim {

class FileStorage : public Storage {
public:
    explicit FileStorage(std::filesystem::path path) : path_(std::move(path)) {}

    // Reads the file; NotFound if it does not exist, TooLarge if it exceeds the buffer. Never writes.
    StorageStatus load(std::span<std::uint8_t> buffer, std::size_t& size) override;
    // Writes <dir>/.<name>.tmp.XXXX (O_CREAT|O_EXCL, 0600), fsyncs, renames over the file, fsyncs the dir.
    StorageStatus commit(ByteView image) override;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace qscd::sim
