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

// Persistent memory ("EEPROM"): the whole state image is loaded and committed at once.
class Storage {
public:
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
