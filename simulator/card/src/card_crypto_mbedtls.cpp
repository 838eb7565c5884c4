// The card core's crypto seam (card_crypto.hpp) on mbedTLS 3.6: the only card source that includes mbedTLS.
#include "qscd/sim/card_crypto.hpp"

#include <cstring>
#include <new>

extern "C" {  // these mbedTLS 3.6 headers lack C++ linkage guards
#include <mbedtls/constant_time.h>
#include <mbedtls/psa_util.h>
}
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

namespace qscd::sim::crypto {

static_assert(sizeof(mbedtls_pk_context) <= kKeyContextSize, "Key::context_ too small for mbedtls_pk_context");
static_assert(alignof(mbedtls_pk_context) <= alignof(std::max_align_t));

struct KeyAccess {
    static mbedtls_pk_context& pk(Key& key) { return *std::launder(reinterpret_cast<mbedtls_pk_context*>(key.context_.data())); }
    static const mbedtls_pk_context& pk(const Key& key) {
        return *std::launder(reinterpret_cast<const mbedtls_pk_context*>(key.context_.data()));
    }
    static void set_ready(Key& key, bool ready) { key.ready_ = ready; }
    static mbedtls_sha256_context& sha(Sha256& h) {
        return *std::launder(reinterpret_cast<mbedtls_sha256_context*>(h.context_.data()));
    }
};

namespace {

int rng(void* random, unsigned char* out, std::size_t length) {
    static_cast<Random*>(random)->fill(std::span<std::uint8_t>(out, length));
    return 0;
}

mbedtls_ecp_group_id group_of(Curve curve) {
    switch (curve) {
        case Curve::P256: return MBEDTLS_ECP_DP_SECP256R1;
        case Curve::P384: return MBEDTLS_ECP_DP_SECP384R1;
        case Curve::None: break;
    }
    return MBEDTLS_ECP_DP_NONE;
}

mbedtls_md_type_t md_of(Curve curve) {
    return curve == Curve::P384 ? MBEDTLS_MD_SHA384 : curve == Curve::P256 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_NONE;
}

// Finishes an operation that filled key's context: ready on success, freed on failure.
bool settle(Key& key, bool ok) {
    if (ok) {
        KeyAccess::set_ready(key, true);
    } else {
        key.clear();
    }
    return ok;
}

}  // namespace

Key::Key() : context_{} { mbedtls_pk_init(&KeyAccess::pk(*this)); }

Key::~Key() { clear(); }

void Key::clear() {
    mbedtls_pk_free(&KeyAccess::pk(*this));  // wipes and frees the key material
    mbedtls_pk_init(&KeyAccess::pk(*this));
    ready_ = false;
}

void Key::take(Key& other) {
    clear();
    std::memcpy(context_.data(), other.context_.data(), sizeof(mbedtls_pk_context));  // ownership moves
    ready_ = other.ready_;
    mbedtls_pk_init(&KeyAccess::pk(other));
    other.ready_ = false;
}

bool generate_rsa(Key& key, unsigned bits, Random& random) {
    key.clear();
    mbedtls_pk_context& pk = KeyAccess::pk(key);
    return settle(key, mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) == 0 &&
                           mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), &rng, &random, bits, 65537) == 0);
}

bool generate_ec(Key& key, Curve curve, Random& random) {
    key.clear();
    if (group_of(curve) == MBEDTLS_ECP_DP_NONE) return false;
    mbedtls_pk_context& pk = KeyAccess::pk(key);
    return settle(key, mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
                           mbedtls_ecp_gen_key(group_of(curve), mbedtls_pk_ec(pk), &rng, &random) == 0);
}

bool import_rsa(Key& key, unsigned bits, ByteView e, ByteView p, ByteView q) {
    key.clear();
    if (e.empty() || p.empty() || q.empty()) return false;
    mbedtls_pk_context& pk = KeyAccess::pk(key);
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0) return settle(key, false);
    mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
    return settle(key, mbedtls_rsa_import_raw(rsa, nullptr, 0, p.data(), p.size(), q.data(), q.size(), nullptr, 0,
                                              e.data(), e.size()) == 0 &&
                           mbedtls_rsa_complete(rsa) == 0 && mbedtls_rsa_check_privkey(rsa) == 0 &&
                           mbedtls_rsa_get_len(rsa) * 8 == bits);
}

bool import_ec(Key& key, Curve curve, ByteView d, Random& random) {
    key.clear();
    const std::size_t n = field_bytes(curve);
    if (n == 0 || d.empty() || d.size() > n) return false;
    std::array<std::uint8_t, 66> scalar{};  // d left-padded to the field size
    std::memcpy(scalar.data() + (n - d.size()), d.data(), d.size());
    mbedtls_pk_context& pk = KeyAccess::pk(key);
    const bool ok = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
                    mbedtls_ecp_read_key(group_of(curve), mbedtls_pk_ec(pk), scalar.data(), n) == 0 &&
                    mbedtls_ecp_keypair_calc_public(mbedtls_pk_ec(pk), &rng, &random) == 0;
    mbedtls_platform_zeroize(scalar.data(), scalar.size());
    return settle(key, ok);
}

std::size_t write_der(const Key& key, std::span<std::uint8_t> out) {
    if (!key.ready()) return 0;
    // mbedtls_pk_write_key_der writes at the end of the buffer; the seam promises the start.
    const int length = mbedtls_pk_write_key_der(&KeyAccess::pk(key), out.data(), out.size());
    if (length <= 0) {
        mbedtls_platform_zeroize(out.data(), out.size());
        return 0;
    }
    const auto n = static_cast<std::size_t>(length);
    std::memmove(out.data(), out.data() + out.size() - n, n);
    mbedtls_platform_zeroize(out.data() + n, out.size() - n);
    return n;
}

bool load_der(Key& key, ByteView der, Random& random) {
    key.clear();
    return settle(key, mbedtls_pk_parse_key(&KeyAccess::pk(key), der.data(), der.size(), nullptr, 0, &rng, &random) == 0);
}

bool is_rsa(const Key& key) { return key.ready() && mbedtls_pk_get_type(&KeyAccess::pk(key)) == MBEDTLS_PK_RSA; }

std::size_t rsa_modulus_bytes(const Key& key) {
    return is_rsa(key) ? mbedtls_rsa_get_len(mbedtls_pk_rsa(KeyAccess::pk(key))) : 0;
}

std::size_t rsa_public(const Key& key, std::span<std::uint8_t> n, std::span<std::uint8_t> e) {
    const std::size_t nlen = rsa_modulus_bytes(key);
    if (nlen == 0 || nlen > n.size() || e.empty()) return 0;
    if (mbedtls_rsa_export_raw(mbedtls_pk_rsa(KeyAccess::pk(key)), n.data(), nlen, nullptr, 0, nullptr, 0, nullptr, 0,
                               e.data(), e.size()) != 0)
        return 0;
    std::size_t skip = 0;
    while (skip + 1 < e.size() && e[skip] == 0) ++skip;
    std::memmove(e.data(), e.data() + skip, e.size() - skip);
    return e.size() - skip;
}

std::size_t ec_point(const Key& key, std::span<std::uint8_t> out) {
    if (!key.ready() || is_rsa(key)) return 0;
    std::size_t length = 0;
    if (mbedtls_ecp_write_public_key(mbedtls_pk_ec(KeyAccess::pk(key)), MBEDTLS_ECP_PF_UNCOMPRESSED, &length,
                                     out.data(), out.size()) != 0)
        return 0;
    return length;
}

std::size_t sign_rsa_pkcs1(Key& key, ByteView input, std::span<std::uint8_t> out, Random& random) {
    const std::size_t nlen = rsa_modulus_bytes(key);
    if (nlen == 0 || nlen > out.size()) return 0;
    mbedtls_rsa_context* rsa = mbedtls_pk_rsa(KeyAccess::pk(key));
    if (mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE) != 0) return 0;
    if (mbedtls_rsa_pkcs1_sign(rsa, &rng, &random, MBEDTLS_MD_NONE, static_cast<unsigned int>(input.size()),
                               input.data(), out.data()) != 0)
        return 0;
    return nlen;
}

std::size_t sign_ecdsa(Key& key, Curve curve, ByteView hash, std::span<std::uint8_t> out, Random& random) {
    const std::size_t n = field_bytes(curve);
    if (n == 0 || !key.ready() || is_rsa(key) || 2 * n > out.size()) return 0;
    std::array<std::uint8_t, MBEDTLS_ECDSA_MAX_LEN> der{};
    std::size_t der_length = 0;
    if (mbedtls_ecdsa_write_signature(mbedtls_pk_ec(KeyAccess::pk(key)), md_of(curve), hash.data(), hash.size(),
                                      der.data(), der.size(), &der_length, &rng, &random) != 0)
        return 0;
    std::size_t raw_length = 0;
    if (mbedtls_ecdsa_der_to_raw(n * 8, der.data(), der_length, out.data(), 2 * n, &raw_length) != 0) return 0;
    return raw_length;
}

bool pbkdf2_sha256(ByteView secret, ByteView salt, std::uint32_t iterations, std::span<std::uint8_t> out) {
    return mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, secret.data(), secret.size(), salt.data(), salt.size(),
                                         iterations, static_cast<std::uint32_t>(out.size()), out.data()) == 0;
}

bool sha256(ByteView data, std::array<std::uint8_t, kSha256Size>& digest) {
    return mbedtls_sha256(data.data(), data.size(), digest.data(), 0) == 0;
}

static_assert(sizeof(mbedtls_sha256_context) <= kSha256ContextSize, "Sha256::context_ too small");
static_assert(alignof(mbedtls_sha256_context) <= alignof(std::max_align_t));

Sha256::Sha256() {
    mbedtls_sha256_context* ctx = ::new (static_cast<void*>(context_.data())) mbedtls_sha256_context;
    mbedtls_sha256_init(ctx);
    ok_ = mbedtls_sha256_starts(ctx, 0) == 0;
}

Sha256::~Sha256() { mbedtls_sha256_free(&KeyAccess::sha(*this)); }

bool Sha256::update(ByteView data) {
    ok_ = ok_ && mbedtls_sha256_update(&KeyAccess::sha(*this), data.data(), data.size()) == 0;
    return ok_;
}

bool Sha256::finish(std::array<std::uint8_t, kSha256Size>& digest) {
    ok_ = ok_ && mbedtls_sha256_finish(&KeyAccess::sha(*this), digest.data()) == 0;
    return ok_;
}

bool equal_ct(ByteView a, ByteView b) {
    return a.size() == b.size() && mbedtls_ct_memcmp(a.data(), b.data(), a.size()) == 0;
}

void zeroize(void* data, std::size_t size) { mbedtls_platform_zeroize(data, size); }

}  // namespace qscd::sim::crypto
