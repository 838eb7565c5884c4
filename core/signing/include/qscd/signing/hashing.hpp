// Document and data hashing for the signing core (streaming, constant memory).
#pragma once

#include <filesystem>
#include <memory>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd {

// Incremental hash over mbedtls_md. After finish() the hasher starts over for new input.
class Hasher {
public:
    explicit Hasher(HashAlgorithm algorithm);
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(ByteView data);
    Bytes finish();
    HashAlgorithm algorithm() const { return algorithm_; }

private:
    struct Impl;
    HashAlgorithm algorithm_;
    std::unique_ptr<Impl> impl_;
};

Bytes hash_bytes(HashAlgorithm algorithm, ByteView data);
// Reads the file in 64 KiB chunks; Error(IoError) naming the file if it cannot be opened or read.
Bytes hash_file(HashAlgorithm algorithm, const std::filesystem::path& path);
// PKCS#1 v1.5 DigestInfo (RFC 8017 §9.2 note 1): DER prefix ‖ digest, what a card's raw RSA
// "compute digital signature" pads. Error(InvalidArgument) if the digest length does not fit the algorithm.
Bytes digest_info(HashAlgorithm algorithm, ByteView digest);

}  // namespace qscd
