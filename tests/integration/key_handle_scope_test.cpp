// KeyHandle without an APDU transport: a software key (PSA, in memory) implements the interface the
// way a PKCS#11 or remote-service key would. The base class, not the backend, opens the operation
// scope: exactly one around each signature, and one for a batch's whole life.
#include <catch2/catch.hpp>

#include <psa/crypto.h>

#include <array>
#include <string>

#include "qscd/error.hpp"
#include "qscd/key_handle.hpp"
#include "qscd/token_source.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "token_conformance.hpp"

using namespace qscd;
using test::error_code_of;

namespace {

const char* kPin = "246810";

// What the software key's scopes did: how many were opened, how many are open now.
struct ScopeLog {
    int opened = 0;
    int open = 0;
};

class SoftwarePinCheck final : public PinVerification {
public:
    explicit SoftwarePinCheck(bool& verified) : verified_(verified) {}
    void verify_with(const Pin& pin) override {
        if (pin.bytes().size() != std::string(kPin).size() || !std::equal(pin.bytes().begin(), pin.bytes().end(), kPin))
            throw Error(ErrorCode::WrongPin, "wrong PIN", 2);
        verified_ = true;
    }
    void verify_on_pin_pad() override { throw Error(ErrorCode::NotSupported, "no PIN pad"); }

private:
    bool& verified_;
};

// ECDSA P-256 in PSA key storage (volatile): no card, no Transport anywhere.
class PsaSoftwareKey final : public KeyHandle {
public:
    static std::shared_ptr<PsaSoftwareKey> generate(ScopeLog& log, PinPolicy policy, KeyUsage usage = KeyUsage::Signature) {
        REQUIRE(psa_crypto_init() == PSA_SUCCESS);
        psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
        psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_SIGN_HASH);
        psa_set_key_algorithm(&attributes, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
        psa_set_key_type(&attributes, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
        psa_set_key_bits(&attributes, 256);
        psa_key_id_t id = 0;
        REQUIRE(psa_generate_key(&attributes, &id) == PSA_SUCCESS);
        std::array<std::uint8_t, 65> point{};
        std::size_t length = 0;
        REQUIRE(psa_export_public_key(id, point.data(), point.size(), &length) == PSA_SUCCESS);
        KeyAttributes a;
        a.id = "SOFT";
        a.label = "Software key";
        a.type = KeyType::EcP256;
        a.scheme = SignatureScheme::Ecdsa;
        a.public_key = spki_from_ec_point(KeyType::EcP256, ByteView(point.data(), length));
        a.pin_policy = policy;
        a.usage = usage;
        a.on_card = false;
        return std::shared_ptr<PsaSoftwareKey>(new PsaSoftwareKey(std::move(a), id, log));
    }
    ~PsaSoftwareKey() override { psa_destroy_key(id_); }

    std::vector<int> open_while_signing;  // ScopeLog::open seen by each signature

private:
    PsaSoftwareKey(KeyAttributes a, psa_key_id_t id, ScopeLog& log) : KeyHandle(std::move(a)), id_(id), log_(log) {}

    class CountedScope final : public OperationScope {
    public:
        explicit CountedScope(ScopeLog& log) : log_(log) {
            ++log_.opened;
            ++log_.open;
        }
        ~CountedScope() override { --log_.open; }

    private:
        ScopeLog& log_;
    };

    class Batch final : public SignatureBatch {
    public:
        explicit Batch(PsaSoftwareKey& key) : key_(key) {}
        Bytes sign(HashAlgorithm, ByteView digest) override { return key_.raw_sign(digest); }
        std::optional<CounterReading> finish() override { return std::nullopt; }

    private:
        PsaSoftwareKey& key_;
    };

    std::unique_ptr<OperationScope> begin_operation() override { return std::make_unique<CountedScope>(log_); }

    CountedSignature do_sign_hash(HashAlgorithm, ByteView digest, PinEntry& pin, std::string_view purpose) override {
        verify(pin, purpose);
        return {raw_sign(digest), std::nullopt};
    }
    std::unique_ptr<SignatureBatch> do_begin_batch(std::size_t, PinEntry& pin, std::string_view purpose) override {
        verify(pin, purpose);
        return std::make_unique<Batch>(*this);
    }

    void verify(PinEntry& pin, std::string_view purpose) {
        PinRequest request;
        request.token_label = "software";
        request.pin_name = "Key PIN";
        request.purpose = std::string(purpose);
        bool verified = false;
        SoftwarePinCheck check(verified);
        pin.enter(request, check);
        if (!verified) throw Error(ErrorCode::Cancelled, "no PIN verified");
    }

    Bytes raw_sign(ByteView digest) {
        open_while_signing.push_back(log_.open);
        std::array<std::uint8_t, 64> signature{};
        std::size_t length = 0;
        if (psa_sign_hash(id_, PSA_ALG_ECDSA(PSA_ALG_SHA_256), digest.data(), digest.size(), signature.data(), signature.size(),
                          &length) != PSA_SUCCESS)
            throw Error(ErrorCode::CryptoError, "psa_sign_hash failed");
        return Bytes(signature.begin(), signature.begin() + static_cast<std::ptrdiff_t>(length));
    }

    psa_key_id_t id_;
    ScopeLog& log_;
};

Bytes digest_of(std::string_view text) { return hash_bytes(HashAlgorithm::Sha256, as_bytes(text)); }

}  // namespace

TEST_CASE("a key without any transport: sign_hash opens exactly one operation scope around the backend", "[key_handle][scope]") {
    ScopeLog log;
    auto key = PsaSoftwareKey::generate(log, PinPolicy::PerSignature);
    const Bytes digest = digest_of("software document");
    const Bytes signature = key->sign_hash(HashAlgorithm::Sha256, digest, *test::fixed_pin(kPin));
    CHECK(verify_signature(key->attributes().public_key, SignatureScheme::Ecdsa, HashAlgorithm::Sha256, digest, signature));
    CHECK(log.opened == 1);
    CHECK(key->open_while_signing == std::vector<int>{1});
    CHECK(log.open == 0);

    // A refused PIN ends the scope too; a request the base refuses never opens one.
    CHECK(error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, digest, *test::fixed_pin("000000")); }) == ErrorCode::WrongPin);
    CHECK(log.opened == 2);
    CHECK(log.open == 0);
    CHECK(error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, Bytes(31, 0), *test::fixed_pin(kPin)); }) ==
          ErrorCode::InvalidArgument);
    CHECK(log.opened == 2);
}

TEST_CASE("a batch keeps one operation scope open from begin_batch until it is destroyed", "[key_handle][scope][batch]") {
    ScopeLog log;
    auto key = PsaSoftwareKey::generate(log, PinPolicy::Session);
    {
        auto batch = key->begin_batch(2, *test::fixed_pin(kPin), "two documents");
        CHECK(log.open == 1);
        for (const char* text : {"one", "two"}) {
            const Bytes digest = digest_of(text);
            CHECK(verify_signature(key->attributes().public_key, SignatureScheme::Ecdsa, HashAlgorithm::Sha256, digest,
                                   batch->sign(HashAlgorithm::Sha256, digest)));
        }
        (void)batch->finish();
        CHECK(log.open == 1);  // until the batch is gone, not until finish()
    }
    CHECK(key->open_while_signing == std::vector<int>{1, 1});
    CHECK(log.open == 0);
    CHECK(log.opened == 1);

    // A batch that fails to start (wrong PIN) leaves no scope open.
    CHECK(error_code_of([&] { (void)key->begin_batch(2, *test::fixed_pin("000000")); }) == ErrorCode::WrongPin);
    CHECK(log.open == 0);
    CHECK(log.opened == 2);
}

TEST_CASE("key usage is one value per key, named for messages", "[key_handle]") {
    CHECK(std::string(to_string(KeyUsage::Signature)) == "signature");
    CHECK(std::string(to_string(KeyUsage::Authentication)) == "authentication");
    CHECK(std::string(to_string(KeyUsage::Decryption)) == "decryption");
    ScopeLog log;
    auto key = PsaSoftwareKey::generate(log, PinPolicy::PerSignature);
    CHECK(key->attributes().usage == KeyUsage::Signature);

    // A decryption key never signs; refused before any scope.
    auto decryption = PsaSoftwareKey::generate(log, PinPolicy::Session, KeyUsage::Decryption);
    CHECK(error_code_of([&] { (void)decryption->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *test::fixed_pin(kPin)); }) ==
          ErrorCode::PolicyViolation);
    CHECK(log.opened == 0);
    // An authentication key signs a hash (its operation: INTERNAL AUTHENTICATE on an ID card); whether it
    // may sign a document is SigningService's decision. It never signs batches.
    auto authentication = PsaSoftwareKey::generate(log, PinPolicy::Session, KeyUsage::Authentication);
    CHECK(error_code_of([&] { (void)authentication->begin_batch(1, *test::fixed_pin(kPin)); }) == ErrorCode::PolicyViolation);
    CHECK(log.opened == 0);  // refused before any scope
    (void)authentication->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *test::fixed_pin(kPin));
    CHECK(log.opened == 1);
}

TEST_CASE("token kinds are an enum printed as `qscd token list` always did", "[token_source]") {
    CHECK(std::string(to_string(TokenKind::Simulated)) == "simulator");
    CHECK(std::string(to_string(TokenKind::PcscReader)) == "pcsc");
    CHECK(TokenDescriptor{}.kind == TokenKind::Simulated);
}
