// Streaming hashes over mbedtls_md and the PKCS#1 DigestInfo encoding.
#include "qscd/signing/hashing.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"

namespace qscd {

struct Hasher::Impl {
    mbedtls_md_context_t ctx;
    Impl() { mbedtls_md_init(&ctx); }
    ~Impl() { mbedtls_md_free(&ctx); }
};

Hasher::Hasher(HashAlgorithm algorithm) : algorithm_(algorithm), impl_(std::make_unique<Impl>()) {
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(glue::md_type(algorithm));
    if (info == nullptr) throw Error(ErrorCode::NotSupported, std::string("hash not available: ") + to_string(algorithm));
    glue::check(mbedtls_md_setup(&impl_->ctx, info, 0), "setting up hash");
    glue::check(mbedtls_md_starts(&impl_->ctx), "starting hash");
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(ByteView data) {
    if (!impl_) throw Error(ErrorCode::InvalidArgument, "hasher used after move");
    if (!data.empty()) glue::check(mbedtls_md_update(&impl_->ctx, data.data(), data.size()), "hashing");
}

Bytes Hasher::finish() {
    if (!impl_) throw Error(ErrorCode::InvalidArgument, "hasher used after move");
    Bytes out(digest_size(algorithm_));
    glue::check(mbedtls_md_finish(&impl_->ctx, out.data()), "finishing hash");
    glue::check(mbedtls_md_starts(&impl_->ctx), "restarting hash");
    return out;
}

Bytes hash_bytes(HashAlgorithm algorithm, ByteView data) {
    Hasher hasher(algorithm);
    hasher.update(data);
    return hasher.finish();
}

Bytes hash_file(HashAlgorithm algorithm, const std::filesystem::path& path) {
    struct Closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
    if (!file) throw Error(ErrorCode::IoError, "cannot open " + path.string() + ": " + std::strerror(errno));
    Hasher hasher(algorithm);
    Bytes chunk(64 * 1024);
    for (;;) {
        std::size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get());
        if (n > 0) hasher.update(ByteView(chunk.data(), n));
        if (n < chunk.size()) {
            if (std::ferror(file.get())) throw Error(ErrorCode::IoError, "cannot read " + path.string() + ": " + std::strerror(errno));
            break;
        }
    }
    return hasher.finish();
}

Bytes digest_info(HashAlgorithm algorithm, ByteView digest) {
    // DigestInfo ::= SEQUENCE { AlgorithmIdentifier { id-shaXXX, NULL }, OCTET STRING digest } (RFC 8017 §9.2)
    static constexpr std::uint8_t sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                                              0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    static constexpr std::uint8_t sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                                              0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
    static constexpr std::uint8_t sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                                              0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};
    if (digest.size() != digest_size(algorithm))
        throw Error(ErrorCode::InvalidArgument, std::string("digest length ") + std::to_string(digest.size()) +
                                                    " does not match " + to_string(algorithm));
    ByteView prefix = algorithm == HashAlgorithm::Sha256   ? ByteView(sha256)
                      : algorithm == HashAlgorithm::Sha384 ? ByteView(sha384)
                                                           : ByteView(sha512);
    // Assembled with memcpy: GCC 12's -Warray-bounds misfires on vector::insert from a static array.
    Bytes out(prefix.size() + digest.size());
    std::memcpy(out.data(), prefix.data(), prefix.size());
    std::memcpy(out.data() + prefix.size(), digest.data(), digest.size());
    return out;
}

}  // namespace qscd
