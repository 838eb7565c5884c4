#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "signing_test_support.hpp"

using namespace qscd;

namespace {
const KeyType kAllTypes[] = {KeyType::EcP256, KeyType::EcP384, KeyType::Rsa2048};
}  // namespace

TEST_CASE("ECDSA r||s converts to DER and back, including leading zeros", "[signing][crypto]") {
    Bytes raw(64, 0x11);
    raw[0] = 0x00;   // r with a leading zero byte: DER drops it
    raw[32] = 0x80;  // s with the top bit set: DER adds a 00 pad
    Bytes der = ecdsa_raw_to_der(raw);
    CHECK(der[0] == 0x30);
    CHECK(ecdsa_der_to_raw(der, 32) == raw);
    CHECK_THROWS_AS(ecdsa_raw_to_der(Bytes(63, 1)), Error);
    CHECK_THROWS_AS(ecdsa_der_to_raw(Bytes{0x30, 0x03, 0x02, 0x01}, 32), Error);
    CHECK_THROWS_AS(ecdsa_der_to_raw(der, 16), Error);  // r/s longer than the field
}

TEST_CASE("SoftwareKey signs in card format and verify_signature checks it", "[signing][crypto]") {
    for (KeyType type : kAllTypes) {
        INFO(to_string(type));
        const SoftwareKey& key = test::key_of(type);
        CHECK(key.type() == type);
        CHECK(key_type_of_spki(key.spki()) == type);
        HashAlgorithm h = default_hash(type);
        Bytes digest = hash_bytes(h, as_bytes("document"));
        Bytes sig = key.sign(h, digest);
        CHECK(sig.size() == (is_rsa(type) ? 256 : 2 * ec_field_size(type)));
        CHECK(verify_signature(key.spki(), key.scheme(), h, digest, sig));
        Bytes other = hash_bytes(h, as_bytes("other document"));
        CHECK_FALSE(verify_signature(key.spki(), key.scheme(), h, other, sig));
        Bytes bad = sig;
        bad[bad.size() / 2] ^= 0x01;
        CHECK_FALSE(verify_signature(key.spki(), key.scheme(), h, digest, bad));
        CHECK_FALSE(verify_signature(key.spki(), key.scheme(), h, digest, ByteView(sig).first(sig.size() - 1)));
        CHECK_THROWS_AS(key.sign(h, ByteView(digest).first(10)), Error);
        CHECK_THROWS_AS(verify_signature(key.spki(), key.scheme(), h, ByteView(digest).first(10), sig), Error);
        SignatureScheme wrong = is_rsa(type) ? SignatureScheme::Ecdsa : SignatureScheme::RsaPkcs1v15;
        CHECK_THROWS_AS(verify_signature(key.spki(), wrong, h, digest, sig), Error);
    }
}

TEST_CASE("SPKI from raw key material equals the key's own SPKI", "[signing][crypto]") {
    for (KeyType type : {KeyType::EcP256, KeyType::EcP384}) {
        Bytes spki = test::key_of(type).spki();
        std::size_t point_len = 1 + 2 * ec_field_size(type);
        ByteView point = ByteView(spki).last(point_len);  // BIT STRING content ends the SPKI
        CHECK(spki_from_ec_point(type, point) == spki);
        Bytes off_curve(point.begin(), point.end());
        off_curve.back() ^= 0x01;
        CHECK_THROWS_AS(spki_from_ec_point(type, off_curve), Error);
    }
    Bytes spki = test::rsa2048_key().spki();
    // RSAPublicKey ::= SEQUENCE { 02 82 01 01 00 <256-byte modulus>, 02 03 01 00 01 }
    ByteView exponent = ByteView(spki).last(3);
    ByteView modulus = ByteView(spki).last(5 + 256).first(256);
    CHECK(spki_from_rsa(modulus, exponent) == spki);
    CHECK(spki_from_rsa(concat(Bytes{0, 0}, modulus), exponent) == spki);  // leading zeros are fine
    CHECK_THROWS_AS(spki_from_rsa(ByteView(modulus).first(128), exponent), Error);  // RSA-1024: not a KeyType
    CHECK_THROWS_AS(key_type_of_spki(as_bytes("garbage")), Error);
}

TEST_CASE("openssl verifies SoftwareKey signatures (RSA PKCS#1 v1.5, ECDSA P-256, P-384)", "[signing][crypto][openssl]") {
    test::TempDir dir;
    test::write_text(dir / "doc.txt", "The quick brown fox signs the document.\n");
    for (KeyType type : kAllTypes) {
        INFO(to_string(type));
        const SoftwareKey& key = test::key_of(type);
        HashAlgorithm h = default_hash(type);
        Bytes sig = key.sign(h, hash_file(h, dir / "doc.txt"));
        if (!is_rsa(type)) sig = ecdsa_raw_to_der(sig);
        test::write_file(dir / "sig.der", sig);
        test::write_text(dir / "pub.pem", der_to_pem(key.spki(), "PUBLIC KEY"));
        std::string md = h == HashAlgorithm::Sha384 ? "-sha384" : "-sha256";
        auto r = test::run("openssl dgst " + md + " -verify " + test::q(dir / "pub.pem") + " -signature " +
                           test::q(dir / "sig.der") + " " + test::q(dir / "doc.txt"));
        INFO(r.output);
        CHECK(r.status == 0);
        CHECK(r.output.find("Verified OK") != std::string::npos);
    }
}

TEST_CASE("SoftwareKey private key round-trips through a 0600 PEM file", "[signing][crypto]") {
    test::TempDir dir;
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    key.save_pem(dir / "key.pem");
    struct stat st {};
    REQUIRE(::stat((dir / "key.pem").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    SoftwareKey loaded = SoftwareKey::load_pem(dir / "key.pem");
    CHECK(loaded.type() == KeyType::EcP256);
    CHECK(loaded.spki() == key.spki());
    SecureBytes der = key.private_key_der();
    SoftwareKey from_der = SoftwareKey::from_private_key(ByteView(der.data(), der.size()));
    CHECK(from_der.spki() == key.spki());
    auto r = test::run("openssl pkey -in " + test::q(dir / "key.pem") + " -noout");
    CHECK(r.status == 0);
    CHECK_THROWS_AS(SoftwareKey::load_pem(dir / "missing.pem"), Error);
    // A PEM envelope around garbage (built in pieces: it is no key, and must not look like one in the tree).
    const std::string fake_pem = std::string("-----BEGIN ") + "PRIVATE KEY-----\nAAAA\n-----END " + "PRIVATE KEY-----\n";
    CHECK_THROWS_AS(SoftwareKey::from_private_key(as_bytes(fake_pem)), Error);
}

TEST_CASE("random_bytes produces distinct output", "[signing][crypto]") {
    Bytes a(32), b(32);
    random_bytes(a);
    random_bytes(b);
    CHECK(a != b);
    Bytes big(5000);  // more than one CTR-DRBG request
    random_bytes(big);
    CHECK(std::count(big.begin(), big.end(), 0) < 100);
}

TEST_CASE("the RNG and software keys are usable from several threads at once", "[signing][crypto]") {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("threads"));
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                Bytes r(64);
                random_bytes(r);
                SoftwareKey k = SoftwareKey::generate(KeyType::EcP256);
                Bytes sig = k.sign(HashAlgorithm::Sha256, digest);
                if (verify_signature(k.spki(), SignatureScheme::Ecdsa, HashAlgorithm::Sha256, digest, sig) &&
                    verify_signature(key.spki(), SignatureScheme::Ecdsa, HashAlgorithm::Sha256, digest,
                                     key.sign(HashAlgorithm::Sha256, digest)))
                    ++good;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(good == 80);
}
