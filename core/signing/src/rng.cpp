// Process-wide random number generator: CTR-DRBG (NIST SP 800-90A) seeded from the platform entropy.
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include <mutex>

#include "mbedtls_glue.hpp"
#include "qscd/signing/crypto.hpp"

namespace qscd {
namespace {

class Drbg {
public:
    Drbg() {
        mbedtls_entropy_init(&entropy_);
        mbedtls_ctr_drbg_init(&drbg_);
        static constexpr unsigned char personalisation[] = "qscd signing core";
        int ret = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, personalisation,
                                        sizeof personalisation - 1);
        if (ret != 0) {
            mbedtls_ctr_drbg_free(&drbg_);
            mbedtls_entropy_free(&entropy_);
            glue::fail(ret, "seeding the random number generator");
        }
    }
    ~Drbg() {
        mbedtls_ctr_drbg_free(&drbg_);
        mbedtls_entropy_free(&entropy_);
    }
    Drbg(const Drbg&) = delete;
    Drbg& operator=(const Drbg&) = delete;

    // Our own lock: mbedTLS locks the DRBG only when built with MBEDTLS_THREADING_C, and reseeding
    // also touches the entropy context.
    int generate(unsigned char* out, std::size_t size) {
        std::lock_guard lock(mutex_);
        while (size > 0) {  // ctr_drbg hands out at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes per call
            std::size_t n = size < MBEDTLS_CTR_DRBG_MAX_REQUEST ? size : MBEDTLS_CTR_DRBG_MAX_REQUEST;
            if (int ret = mbedtls_ctr_drbg_random(&drbg_, out, n); ret != 0) return ret;
            out += n;
            size -= n;
        }
        return 0;
    }

private:
    std::mutex mutex_;
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
};

Drbg& drbg() {
    static Drbg instance;  // initialised once, thread-safely (C++11 magic statics)
    return instance;
}

}  // namespace

namespace glue {
int rng(void* context, unsigned char* out, std::size_t size) { return static_cast<Drbg*>(context)->generate(out, size); }
void* rng_context() { return &drbg(); }
}  // namespace glue

void random_bytes(std::span<std::uint8_t> out) {
    glue::check(drbg().generate(out.data(), out.size()), "generating random bytes");
}

}  // namespace qscd
