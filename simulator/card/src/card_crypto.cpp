// Shared key operations of the card core (card_crypto.hpp).
#include "card_crypto.hpp"

#include <array>

#include <mbedtls/ecdsa.h>
extern "C" {  // these mbedTLS 3.6 headers lack C++ linkage guards
#include <mbedtls/psa_util.h>
}

namespace qscd::sim {

bool generate_ec_key(mbedtls_ecp_group_id curve, mbedtls_pk_context& pk, Random& random) {
    return mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
           mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(pk), &Random::mbedtls_rng, &random) == 0;
}

std::size_t write_ec_point(const mbedtls_pk_context& pk, std::span<std::uint8_t> out) {
    std::size_t length = 0;
    if (mbedtls_ecp_write_public_key(mbedtls_pk_ec(pk), MBEDTLS_ECP_PF_UNCOMPRESSED, &length, out.data(),
                                     out.size()) != 0)
        return 0;
    return length;
}

std::size_t ecdsa_sign_raw(mbedtls_pk_context& pk, std::size_t field_bytes, mbedtls_md_type_t md, ByteView input,
                           std::span<std::uint8_t> out, Random& random) {
    std::array<std::uint8_t, MBEDTLS_ECDSA_MAX_LEN> der{};
    std::size_t der_length = 0;
    if (mbedtls_ecdsa_write_signature(mbedtls_pk_ec(pk), md, input.data(), input.size(), der.data(), der.size(),
                                      &der_length, &Random::mbedtls_rng, &random) != 0)
        return 0;
    std::size_t raw_length = 0;
    if (2 * field_bytes > out.size() ||
        mbedtls_ecdsa_der_to_raw(field_bytes * 8, der.data(), der_length, out.data(), 2 * field_bytes, &raw_length) != 0)
        return 0;
    return raw_length;
}

}  // namespace qscd::sim
