// Hostile and broken CMS input: the verifier must answer with a report, never crash or throw.
// (Build with -DQSCD_SANITIZE=ON to have ASan/UBSan watch the out-of-bounds guarantees.)
#include <catch2/catch.hpp>

#include <algorithm>

#include "qscd/signing/cades.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/hashing.hpp"
#include "signing_test_support.hpp"

using namespace qscd;

namespace {

const std::string kDocument = "malformed input test\n";

Bytes good_signature() {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
    CadesSigner signer{cert, {test::test_ca().certificate_der}, key.scheme(),
                       [&key](HashAlgorithm h, ByteView d) { return key.sign(h, d); }};
    return create_cades_detached(signer, HashAlgorithm::Sha256, hash_bytes(HashAlgorithm::Sha256, as_bytes(kDocument)),
                                 std::chrono::system_clock::now());
}

VerificationReport verify(ByteView cms) {
    return verify_cades_detached(
        cms, [](HashAlgorithm h) { return hash_bytes(h, as_bytes(kDocument)); }, {test::test_ca().certificate_der});
}

}  // namespace

TEST_CASE("every truncation of a valid signature is rejected with a reason", "[signing][cades][malformed]") {
    Bytes cms = good_signature();
    REQUIRE(verify(cms).valid);
    for (std::size_t len = 0; len < cms.size(); ++len) {
        // Copy into an exact-size buffer so ASan would see any read past the end.
        Bytes truncated(cms.begin(), cms.begin() + static_cast<std::ptrdiff_t>(len));
        VerificationReport r;
        REQUIRE_NOTHROW(r = verify(truncated));
        CHECK_FALSE(r.valid);
        CHECK_FALSE(r.parse.ok);
        CHECK_FALSE(r.problems.empty());
    }
    Bytes trailing = cms;
    trailing.push_back(0);
    CHECK_FALSE(verify(trailing).valid);
}

TEST_CASE("random bytes and single-byte corruptions never crash the verifier", "[signing][cades][malformed]") {
    std::mt19937 rng(1234);
    for (int i = 0; i < 2000; ++i) {
        Bytes junk(rng() % 600);
        for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
        if (!junk.empty() && i % 2 == 0) junk[0] = 0x30;  // get past the first tag check half of the time
        VerificationReport r;
        REQUIRE_NOTHROW(r = verify(junk));
        CHECK_FALSE(r.valid);
    }
    // Every byte position flipped: must not crash; the structural or cryptographic checks catch most,
    // and bytes nobody signs (e.g. SignedData.version) may legitimately still verify.
    // The embedded CA certificate is an unsigned convenience copy (the trust anchor is what counts), so
    // its bytes are flipped too but not counted.
    Bytes cms = good_signature();
    const Bytes& ca = test::test_ca().certificate_der;
    auto ca_at = static_cast<std::size_t>(std::search(cms.begin(), cms.end(), ca.begin(), ca.end()) - cms.begin());
    REQUIRE(ca_at < cms.size());
    std::size_t still_valid = 0;
    for (std::size_t i = 0; i < cms.size(); ++i) {
        Bytes bad = cms;
        bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
        VerificationReport r;
        REQUIRE_NOTHROW(r = verify(bad));
        if (r.valid && (i < ca_at || i >= ca_at + ca.size())) {
            UNSCOPED_INFO("still valid with byte " << i << " flipped");
            ++still_valid;
        }
    }
    CHECK(still_valid <= 2);  // at most the two unsigned version numbers (SignedData, SignerInfo)
}

TEST_CASE("structurally odd CMS is reported, not thrown", "[signing][cades][malformed]") {
    std::vector<Bytes> inputs = {
        {},
        {0x30},
        {0x30, 0x80, 0x00, 0x00},                    // indefinite length
        {0x30, 0x84, 0xff, 0xff, 0xff, 0xff},        // absurd length
        {0x30, 0x03, 0x06, 0x01, 0x00},              // wrong content type
        {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02},  // signedData, no content
        {0x1f, 0x81, 0x01, 0x00},                    // multi-byte tag
    };
    for (const Bytes& in : inputs) {
        VerificationReport r;
        REQUIRE_NOTHROW(r = verify(in));
        CHECK_FALSE(r.valid);
        CHECK_FALSE(r.parse.ok);
        REQUIRE_FALSE(r.problems.empty());
        CHECK(r.problems.front().rfind("malformed CMS", 0) == 0);
    }
}
