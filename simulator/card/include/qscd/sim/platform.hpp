// Platform interface of the simulated card: what the card "hardware" offers the firmware.
// Small and abstract so the card core (compiled -fno-exceptions -fno-rtti) never touches the OS. The card never
// owns or deletes a platform object, so the destructors are protected and non-virtual: no vtable slot for
// them, and deleting through the interface does not compile (host owners use HostStorage, host_platform.hpp).
// Host implementations live in simulator/host/ (FileStorage, SystemRandom, SystemClock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "qscd/codec/bytes.hpp"

namespace qscd::sim {

enum class StorageStatus : std::uint8_t {
    Ok,
    NotFound,   // nothing stored yet
    TooLarge,   // the stored image does not fit the caller's buffer
    Corrupted,  // load: the store holds no whole image (e.g. every copy of it fails its checksum)
    IoError,    // read or write failed; for commit: the old image is in place, or the new one was
                // written but its durability could not be confirmed (directory fsync failed)
};

// How soon a commit of the card must survive a power cut.
enum class CommitSync : std::uint8_t {
    Now,       // durable before commit returns (Storage::commit)
    Deferred,  // atomic, may be lost to a power cut until the next Now commit (Storage::commit_deferred)
};

// Persistent memory ("EEPROM"). The card reads the stored image in place and writes a new one in
// chunks (open_image / read, begin_commit / write / finish_commit): it never holds a whole image in RAM.
// load / commit / commit_deferred move whole images, for the host's tools and tests.
class Storage {
public:
    // Selects the stored image for read() and gives its length (NotFound, Corrupted, IoError as load).
    virtual StorageStatus open_image(std::size_t& size) = 0;
    // Bytes [offset, offset + out.size()) of the image open_image selected or the last finished commit
    // stored; IoError if they are not all there. A commit in progress does not change what it reads.
    virtual StorageStatus read(std::size_t offset, std::span<std::uint8_t> out) = 0;
    // A new image of `size` bytes, given by write() calls in order, replaces the stored one at
    // finish_commit() with the guarantees of commit() (Now) or commit_deferred() (Deferred). Until then the
    // stored image is untouched; a begin_commit() without finish_commit() (the writer failed) is dropped.
    virtual StorageStatus begin_commit(std::size_t size) = 0;
    virtual StorageStatus write(ByteView chunk) = 0;
    virtual StorageStatus finish_commit(CommitSync sync) = 0;

    // Copies the stored image into `buffer`; `size` receives its length. Never modifies the store.
    virtual StorageStatus load(std::span<std::uint8_t> buffer, std::size_t& size) = 0;
    // Replaces the stored image atomically and durably: afterwards either the old or the new image is
    // stored, and once it returned Ok the new one survives a power cut.
    virtual StorageStatus commit(ByteView image) = 0;
    // Replaces the stored image atomically; a power cut before the next commit() may bring back the image
    // of the last commit() instead (never anything else). The card uses it only where that loss is the
    // safe direction (docs/security.md). A store without cheaper writes keeps this default: durable.
    virtual StorageStatus commit_deferred(ByteView image) { return commit(image); }

protected:
    ~Storage() = default;
};

// True random source of the card.
class Random {
public:
    virtual void fill(std::span<std::uint8_t> out) = 0;

protected:
    ~Random() = default;
};

// Wall clock (unix seconds).
class Clock {
public:
    virtual std::uint64_t now() = 0;

protected:
    ~Clock() = default;
};

}  // namespace qscd::sim
