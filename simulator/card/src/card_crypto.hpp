// Key operations of the card core shared by the applets: EC key generation, public point, raw ECDSA.
// Private to the card core.
#pragma once

#include <cstddef>
#include <span>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include "qscd/codec/bytes.hpp"
#include "qscd/sim/platform.hpp"

namespace qscd::sim {

// A fresh key pair on `curve` in `pk` (initialised, empty). False on failure (pk left to the caller to free).
bool generate_ec_key(mbedtls_ecp_group_id curve, mbedtls_pk_context& pk, Random& random);
// Uncompressed public point (04 || X || Y) into `out`; its length, 0 on failure.
std::size_t write_ec_point(const mbedtls_pk_context& pk, std::span<std::uint8_t> out);
// ECDSA of `input` (a hash; a longer one is truncated, a shorter one acts left-padded: FIPS 186-5 §6.4) as
// r || s, each `field_bytes` long. Deterministic nonces via HMAC-DRBG with `md`. Length, 0 on failure.
std::size_t ecdsa_sign_raw(mbedtls_pk_context& pk, std::size_t field_bytes, mbedtls_md_type_t md, ByteView input,
                           std::span<std::uint8_t> out, Random& random);

}  // namespace qscd::sim
