// Private to the signing core: RAII holders for mbedTLS contexts, the process-wide RNG and the one
// place where mbedTLS return codes become qscd::Error. Not installed; no public header includes it.
#pragma once

#include <mbedtls/build_info.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_NUMBER < 0x03060000
#error "qscd needs mbedTLS 3.6 or newer"
#endif

#include <string_view>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd {

class SoftwareKey;

namespace glue {

// Throws Error(CryptoError, "<what>: <mbedtls_strerror text>") if ret != 0 (crypto_error.cpp).
void check(int ret, std::string_view what);
[[noreturn]] void fail(int ret, std::string_view what);

// Process-wide CTR-DRBG seeded from mbedtls_entropy; usable as f_rng/p_rng from any thread (rng.cpp).
int rng(void* context, unsigned char* out, std::size_t size);
void* rng_context();

mbedtls_md_type_t md_type(HashAlgorithm hash);

struct Pk {
    mbedtls_pk_context ctx;
    Pk() { mbedtls_pk_init(&ctx); }
    ~Pk() { mbedtls_pk_free(&ctx); }
    Pk(const Pk&) = delete;
    Pk& operator=(const Pk&) = delete;
    mbedtls_pk_context* operator&() { return &ctx; }  // NOLINT: lets Pk be passed where the C API wants a pointer
};

struct Crt {
    mbedtls_x509_crt ctx;
    Crt() { mbedtls_x509_crt_init(&ctx); }
    ~Crt() { mbedtls_x509_crt_free(&ctx); }
    Crt(const Crt&) = delete;
    Crt& operator=(const Crt&) = delete;
    mbedtls_x509_crt* operator&() { return &ctx; }  // NOLINT
};

// Parses one DER certificate; throws Error(InvalidArgument, "<what>: ...") on failure.
void parse_certificate(Crt& crt, ByteView der, std::string_view what);
// Loads an SPKI or, failing that, a certificate's public key into pk; throws InvalidArgument.
void parse_public_key(Pk& pk, ByteView spki_or_certificate_der);
KeyType key_type_of(const mbedtls_pk_context& pk);
// verify_signature on a key already parsed (e.g. a certificate's), saving the second parse.
bool verify_with_key(mbedtls_pk_context& pk, SignatureScheme scheme, HashAlgorithm hash, ByteView digest, ByteView signature);

// The private key behind a SoftwareKey, for mbedtls_x509write_* (software_key.cpp).
mbedtls_pk_context& native_pk(const SoftwareKey& key);

}  // namespace glue
}  // namespace qscd
