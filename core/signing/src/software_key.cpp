// A private key held in host memory (mbedtls_pk), signing in card format.
#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

#include <string>

#include "atomic_file.hpp"
#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd {

struct SoftwareKey::Impl {
    glue::Pk pk;
};

struct SoftwareKeyAccess {
    static mbedtls_pk_context& pk(const SoftwareKey& key) {
        if (!key.impl_) throw Error(ErrorCode::InvalidArgument, "software key used after move");
        return key.impl_->pk.ctx;
    }
};

mbedtls_pk_context& glue::native_pk(const SoftwareKey& key) { return SoftwareKeyAccess::pk(key); }

SoftwareKey::SoftwareKey(std::unique_ptr<Impl> impl, KeyType type) : impl_(std::move(impl)), type_(type) {}
SoftwareKey::~SoftwareKey() = default;
SoftwareKey::SoftwareKey(SoftwareKey&&) noexcept = default;
SoftwareKey& SoftwareKey::operator=(SoftwareKey&&) noexcept = default;

SoftwareKey SoftwareKey::generate(KeyType type) {
    auto impl = std::make_unique<Impl>();
    mbedtls_pk_context* pk = &impl->pk;
    if (is_rsa(type)) {
        glue::check(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), "setting up RSA key");
        glue::check(mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), glue::rng, glue::rng_context(), key_bits(type), 65537),
                    "generating RSA key");
    } else {
        glue::check(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "setting up EC key");
        mbedtls_ecp_group_id id = type == KeyType::EcP384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1;
        glue::check(mbedtls_ecp_gen_key(id, mbedtls_pk_ec(*pk), glue::rng, glue::rng_context()), "generating EC key");
    }
    return SoftwareKey(std::move(impl), type);
}

SoftwareKey SoftwareKey::from_private_key(ByteView der_or_pem) {
    auto impl = std::make_unique<Impl>();
    // mbedtls_pk_parse_key wants PEM NUL-terminated (and the NUL counted in the length).
    SecureBytes input(der_or_pem.begin(), der_or_pem.end());
    if (!input.empty() && input[0] != 0x30) input.push_back(0);
    if (input.empty() || mbedtls_pk_parse_key(&impl->pk, input.data(), input.size(), nullptr, 0, glue::rng,
                                              glue::rng_context()) != 0)
        throw Error(ErrorCode::InvalidArgument, "not a readable unencrypted private key");
    KeyType type = glue::key_type_of(impl->pk.ctx);
    return SoftwareKey(std::move(impl), type);
}

SoftwareKey SoftwareKey::load_pem(const std::filesystem::path& path) {
    Bytes data = read_file(path);
    SecureBytes secret(data.begin(), data.end());
    secure_zero(data.data(), data.size());
    try {
        return from_private_key(ByteView(secret.data(), secret.size()));
    } catch (const Error& e) {
        throw Error(e.code(), path.string() + ": " + e.what());
    }
}

Bytes SoftwareKey::spki() const {
    Bytes buf(2048);
    int len = mbedtls_pk_write_pubkey_der(&SoftwareKeyAccess::pk(*this), buf.data(), buf.size());
    if (len < 0) glue::fail(len, "encoding public key");
    return Bytes(buf.end() - len, buf.end());
}

SecureBytes SoftwareKey::private_key_der() const {
    SecureBytes buf(8192);
    int len = mbedtls_pk_write_key_der(&SoftwareKeyAccess::pk(*this), buf.data(), buf.size());
    if (len < 0) glue::fail(len, "encoding private key");
    return SecureBytes(buf.end() - len, buf.end());
}

SecureBytes SoftwareKey::private_key_pem() const {
    SecureBytes buf(16384);
    glue::check(mbedtls_pk_write_key_pem(&SoftwareKeyAccess::pk(*this), buf.data(), buf.size()), "encoding private key");
    buf.resize(std::char_traits<char>::length(reinterpret_cast<const char*>(buf.data())));
    return buf;
}

void SoftwareKey::save_pem(const std::filesystem::path& path) const {
    SecureBytes pem = private_key_pem();
    write_file_atomic(path, ByteView(pem.data(), pem.size()), 0600);
}

Bytes SoftwareKey::sign(HashAlgorithm hash, ByteView digest) const {
    if (digest.size() != digest_size(hash))
        throw Error(ErrorCode::InvalidArgument, std::string("digest length does not match ") + to_string(hash));
    mbedtls_pk_context& pk = SoftwareKeyAccess::pk(*this);
    Bytes sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
    std::size_t len = 0;
    // RSA: PKCS#1 v1.5 is the pk context's default padding; ECDSA: deterministic (RFC 6979), DER.
    glue::check(mbedtls_pk_sign(&pk, glue::md_type(hash), digest.data(), digest.size(), sig.data(), sig.size(), &len,
                                glue::rng, glue::rng_context()),
                "signing with software key");
    sig.resize(len);
    if (is_rsa(type_)) return sig;
    return ecdsa_der_to_raw(sig, ec_field_size(type_));
}

}  // namespace qscd
