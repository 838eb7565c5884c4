/* mbedTLS 3.6 configuration of the card firmware (docs/firmware.md): what the card core's crypto seam
 * (simulator/card/src/card_crypto_mbedtls.cpp) calls and nothing else. No network, file system, time or
 * entropy collector: the card's randomness comes from its platform Random through the seam's RNG callback. */
#ifndef QSCD_FIRMWARE_MBEDTLS_CONFIG_H
#define QSCD_FIRMWARE_MBEDTLS_CONFIG_H

/* Platform: bignums come from a fixed static heap the firmware hands over at start
 * (mbedtls_memory_buffer_alloc_init), not from newlib's malloc; its peak use is measured (MEMORY_DEBUG). */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS /* no calloc/free of newlib: until set, allocations fail */
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_MEMORY_DEBUG
#define MBEDTLS_NO_PLATFORM_ENTROPY
/* The heap's diagnostics (MEMORY_DEBUG) go to the semihosting console, its fatal errors end the run
 * (firmware/src/startup.cpp): no newlib stdio or exit. */
#include <stdio.h>
#ifdef __cplusplus
extern "C" {
#endif
int qscd_firmware_fprintf(FILE *stream, const char *format, ...);
void qscd_firmware_exit(int status);
#ifdef __cplusplus
}
#endif
#define MBEDTLS_PLATFORM_FPRINTF_MACRO qscd_firmware_fprintf
#define MBEDTLS_PLATFORM_EXIT_MACRO qscd_firmware_exit
#define MBEDTLS_DEPRECATED_REMOVED
#define MBEDTLS_HAVE_ASM /* Thumb-2 multiply-accumulate in bn_mul.h */

/* Bignums, curves and keys: ECDSA P-256 / P-384 (RFC 6979 nonces), RSA with PKCS#1 v1.5 and key generation. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_GENPRIME
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15

/* Private keys as DER in the state image (PKCS#1 / SEC1). */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C

/* Hashes, the PIN KDF (PBKDF2-HMAC-SHA256). */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_PKCS5_C

/* mbedtls_ecdsa_der_to_raw (psa_util.c): its own switch (config_adjust_legacy_crypto.h sets it only for PSA
 * crypto clients, which would route every hash through a PSA service this firmware does not have), and the
 * curves its scratch buffer is sized for (PSA_VENDOR_ECC_MAX_CURVE_BITS, psa/crypto_sizes.h; derived from
 * the curves above only for PSA clients: without them the buffer has 0 bytes and every conversion fails). */
#define MBEDTLS_PSA_UTIL_HAVE_ECDSA
#define PSA_WANT_ECC_SECP_R1_256 1
#define PSA_WANT_ECC_SECP_R1_384 1

#endif
