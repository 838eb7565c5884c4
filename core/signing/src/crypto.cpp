// Signature formats, public keys and signature verification on mbedTLS.
#include "qscd/signing/crypto.hpp"

#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

#include <string>

// mbedTLS 3.6's psa_util.h declares the ECDSA format converters outside its extern "C" block.
extern "C" {
#include <mbedtls/psa_util.h>
}

#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"

namespace qscd {
namespace glue {

mbedtls_md_type_t md_type(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::Sha256: return MBEDTLS_MD_SHA256;
        case HashAlgorithm::Sha384: return MBEDTLS_MD_SHA384;
        case HashAlgorithm::Sha512: return MBEDTLS_MD_SHA512;
    }
    throw Error(ErrorCode::InvalidArgument, "unknown hash algorithm");
}

void parse_certificate(Crt& crt, ByteView der, std::string_view what) {
    if (der.empty()) throw Error(ErrorCode::InvalidArgument, std::string(what) + ": empty certificate");
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) != 0)
        throw Error(ErrorCode::InvalidArgument, std::string(what) + ": not a valid X.509 certificate");
}

void parse_public_key(Pk& pk, ByteView der) {
    if (der.empty()) throw Error(ErrorCode::InvalidArgument, "empty public key");
    if (mbedtls_pk_parse_public_key(&pk, der.data(), der.size()) == 0) return;
    mbedtls_pk_free(&pk);
    mbedtls_pk_init(&pk);
    Crt crt;
    parse_certificate(crt, der, "public key is neither SubjectPublicKeyInfo nor certificate");
    // Re-parse the certificate's SPKI into our own context so it outlives crt.
    if (mbedtls_pk_parse_public_key(&pk, crt.ctx.pk_raw.p, crt.ctx.pk_raw.len) != 0)
        throw Error(ErrorCode::InvalidArgument, "certificate carries an unusable public key");
}

KeyType key_type_of(const mbedtls_pk_context& pk) {
    switch (mbedtls_pk_get_type(&pk)) {
        case MBEDTLS_PK_RSA:
            switch (mbedtls_pk_get_bitlen(&pk)) {
                case 2048: return KeyType::Rsa2048;
                case 3072: return KeyType::Rsa3072;
                case 4096: return KeyType::Rsa4096;
                default:
                    throw Error(ErrorCode::NotSupported,
                                "RSA key size " + std::to_string(mbedtls_pk_get_bitlen(&pk)) + " not supported");
            }
        case MBEDTLS_PK_ECKEY:
        case MBEDTLS_PK_ECDSA:
            switch (mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(pk))) {
                case MBEDTLS_ECP_DP_SECP256R1: return KeyType::EcP256;
                case MBEDTLS_ECP_DP_SECP384R1: return KeyType::EcP384;
                default: throw Error(ErrorCode::NotSupported, "elliptic curve not supported (P-256 and P-384 are)");
            }
        default: throw Error(ErrorCode::NotSupported, "public key algorithm not supported");
    }
}

}  // namespace glue

Bytes ecdsa_raw_to_der(ByteView r_s) {
    if (r_s.empty() || r_s.size() % 2 != 0 || r_s.size() > 2 * 66)
        throw Error(ErrorCode::InvalidArgument, "ECDSA r||s has invalid length " + std::to_string(r_s.size()));
    Bytes der(r_s.size() + 16);  // two INTEGER headers, possible 00 pads, SEQUENCE header
    std::size_t len = 0;
    int ret = mbedtls_ecdsa_raw_to_der(r_s.size() / 2 * 8, r_s.data(), r_s.size(), der.data(), der.size(), &len);
    if (ret != 0) throw Error(ErrorCode::InvalidArgument, "ECDSA r||s cannot be encoded (zero or malformed)");
    der.resize(len);
    return der;
}

Bytes ecdsa_der_to_raw(ByteView der, std::size_t field_size) {
    if (field_size == 0 || field_size > 66) throw Error(ErrorCode::InvalidArgument, "invalid ECDSA field size");
    Bytes raw(2 * field_size);
    std::size_t len = 0;
    int ret = mbedtls_ecdsa_der_to_raw(field_size * 8, der.data(), der.size(), raw.data(), raw.size(), &len);
    if (ret != 0 || len != raw.size()) throw Error(ErrorCode::InvalidArgument, "malformed DER ECDSA signature");
    return raw;
}

namespace {

Bytes write_spki(mbedtls_pk_context& pk) {
    Bytes buf(2048);
    int len = mbedtls_pk_write_pubkey_der(&pk, buf.data(), buf.size());
    if (len < 0) glue::fail(len, "encoding SubjectPublicKeyInfo");
    // mbedtls writes backwards from the end of the buffer.
    return Bytes(buf.end() - len, buf.end());
}

}  // namespace

Bytes spki_from_rsa(ByteView modulus, ByteView exponent) {
    if (modulus.empty() || exponent.empty()) throw Error(ErrorCode::InvalidArgument, "RSA modulus or exponent empty");
    glue::Pk pk;
    glue::check(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), "setting up RSA key");
    mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk.ctx);
    if (mbedtls_rsa_import_raw(rsa, modulus.data(), modulus.size(), nullptr, 0, nullptr, 0, nullptr, 0,
                               exponent.data(), exponent.size()) != 0 ||
        mbedtls_rsa_complete(rsa) != 0 || mbedtls_rsa_check_pubkey(rsa) != 0)
        throw Error(ErrorCode::InvalidArgument, "invalid RSA public key (modulus/exponent)");
    glue::key_type_of(pk.ctx);  // rejects sizes outside KeyType
    return write_spki(pk.ctx);
}

Bytes spki_from_ec_point(KeyType type, ByteView uncompressed_point) {
    mbedtls_ecp_group_id id;
    switch (type) {
        case KeyType::EcP256: id = MBEDTLS_ECP_DP_SECP256R1; break;
        case KeyType::EcP384: id = MBEDTLS_ECP_DP_SECP384R1; break;
        default: throw Error(ErrorCode::InvalidArgument, std::string("not an EC key type: ") + to_string(type));
    }
    if (uncompressed_point.size() != 1 + 2 * ec_field_size(type) || uncompressed_point[0] != 0x04)
        throw Error(ErrorCode::InvalidArgument, std::string("EC point is not an uncompressed ") + to_string(type) + " point");
    glue::Pk pk;
    glue::check(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "setting up EC key");
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    int ret = mbedtls_ecp_group_load(&grp, id);
    bool valid = ret == 0 && mbedtls_ecp_point_read_binary(&grp, &q, uncompressed_point.data(), uncompressed_point.size()) == 0 &&
                 mbedtls_ecp_check_pubkey(&grp, &q) == 0;
    if (valid) ret = mbedtls_ecp_set_public_key(id, mbedtls_pk_ec(pk.ctx), &q);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    if (!valid) throw Error(ErrorCode::InvalidArgument, std::string("EC point is not on the ") + to_string(type) + " curve");
    glue::check(ret, "setting EC public key");
    return write_spki(pk.ctx);
}

KeyType key_type_of_spki(ByteView spki) {
    glue::Pk pk;
    if (spki.empty() || mbedtls_pk_parse_public_key(&pk, spki.data(), spki.size()) != 0)
        throw Error(ErrorCode::InvalidArgument, "not a SubjectPublicKeyInfo");
    return glue::key_type_of(pk.ctx);
}

bool verify_signature(ByteView spki_or_certificate_der, SignatureScheme scheme, HashAlgorithm hash, ByteView digest,
                      ByteView signature) {
    glue::Pk pk;
    glue::parse_public_key(pk, spki_or_certificate_der);
    return glue::verify_with_key(pk.ctx, scheme, hash, digest, signature);
}

namespace glue {

bool verify_with_key(mbedtls_pk_context& pk, SignatureScheme scheme, HashAlgorithm hash, ByteView digest, ByteView signature) {
    if (digest.size() != digest_size(hash))
        throw Error(ErrorCode::InvalidArgument, std::string("digest length does not match ") + to_string(hash));
    KeyType type = key_type_of(pk);
    if (scheme == SignatureScheme::RsaPss) throw Error(ErrorCode::NotSupported, "RSA-PSS verification not supported yet");
    if ((scheme == SignatureScheme::RsaPkcs1v15) != is_rsa(type))
        throw Error(ErrorCode::InvalidArgument,
                    std::string("signature scheme ") + to_string(scheme) + " does not fit a " + to_string(type) + " key");
    Bytes sig;
    if (scheme == SignatureScheme::Ecdsa) {
        if (signature.size() != 2 * ec_field_size(type)) return false;
        try {
            sig = ecdsa_raw_to_der(signature);
        } catch (const Error&) {
            return false;  // r or s zero: never a valid signature
        }
    } else {
        if (signature.size() != mbedtls_pk_get_len(&pk)) return false;
        sig.assign(signature.begin(), signature.end());
    }
    // Legacy pk path with a public-key-only context: the fast one in mbedTLS 3.6.
    return mbedtls_pk_verify(&pk, md_type(hash), digest.data(), digest.size(), sig.data(), sig.size()) == 0;
}

}  // namespace glue

}  // namespace qscd
