// The peer for every signature row: raw mbedTLS doing the same signature over the same digest
// (RSA PKCS#1 v1.5 / PSS with SHA-256, ECDSA), with its own key in host memory.
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <cstdlib>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace bench {

class RawSigner {
public:
    RawSigner(qscd::KeyType type, bool pss = false) : pss_(pss) {
        mbedtls_pk_init(&pk_);
        mbedtls_entropy_init(&entropy_);
        mbedtls_ctr_drbg_init(&drbg_);
        check(mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, nullptr, 0));
        if (qscd::is_rsa(type)) {
            check(mbedtls_pk_setup(&pk_, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)));
            check(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk_), mbedtls_ctr_drbg_random, &drbg_, qscd::key_bits(type), 65537));
        } else {
            check(mbedtls_pk_setup(&pk_, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)));
            check(mbedtls_ecp_gen_key(type == qscd::KeyType::EcP256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1,
                                      mbedtls_pk_ec(pk_), mbedtls_ctr_drbg_random, &drbg_));
        }
    }
    ~RawSigner() {
        mbedtls_pk_free(&pk_);
        mbedtls_ctr_drbg_free(&drbg_);
        mbedtls_entropy_free(&entropy_);
    }
    RawSigner(const RawSigner&) = delete;
    RawSigner& operator=(const RawSigner&) = delete;

    // Signs a SHA-256 digest; aborts on failure (a benchmark of a failing signature means nothing).
    void sign(qscd::ByteView digest) {
        unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
        size_t len = 0;
        check(mbedtls_pk_sign_ext(pss_ ? MBEDTLS_PK_RSASSA_PSS : mbedtls_pk_get_type(&pk_), &pk_, MBEDTLS_MD_SHA256,
                                  digest.data(), digest.size(), sig, sizeof sig, &len, mbedtls_ctr_drbg_random, &drbg_));
    }

private:
    static void check(int rc) {
        if (rc != 0) std::abort();
    }
    bool pss_;
    mbedtls_pk_context pk_;
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
};

}  // namespace bench
