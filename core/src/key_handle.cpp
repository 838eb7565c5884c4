#include "qscd/key_handle.hpp"

#include "qscd/error.hpp"

namespace qscd {

const char* to_string(KeyUsage usage) {
    switch (usage) {
        case KeyUsage::Signature: return "signature";
        case KeyUsage::Authentication: return "authentication";
        case KeyUsage::Decryption: return "decryption";
    }
    return "unknown";
}

namespace {

void require_signature_key(const KeyAttributes& attributes) {
    if (attributes.usage != KeyUsage::Signature)
        throw Error(ErrorCode::PolicyViolation, "key " + attributes.id + " is not a signature key");
}

// A key that signs hashes: the signature key, or an authentication key (its operation is a signature
// over a challenge's hash: INTERNAL AUTHENTICATE). Whether an authentication key may sign a document is
// the caller's decision (SigningService refuses it unless asked); a decryption key never signs.
void require_signing_key(const KeyAttributes& attributes) {
    if (attributes.usage == KeyUsage::Decryption)
        throw Error(ErrorCode::PolicyViolation, "key " + attributes.id + " is a decryption key; it does not sign");
}

// The backend's batch inside the operation scope the base opened for it. Members are destroyed in
// reverse order: the backend's batch (which logs the PIN out) before the scope ends.
class ScopedBatch final : public SignatureBatch {
public:
    ScopedBatch(std::shared_ptr<void> scope, std::unique_ptr<SignatureBatch> batch)
        : scope_(std::move(scope)), batch_(std::move(batch)) {}
    Bytes sign(HashAlgorithm hash, ByteView digest) override { return batch_->sign(hash, digest); }
    std::optional<CounterReading> finish() override { return batch_->finish(); }

private:
    std::shared_ptr<void> scope_;  // the KeyHandle::OperationScope (protected there)
    std::unique_ptr<SignatureBatch> batch_;
};

}  // namespace

CountedSignature KeyHandle::sign_hash_counted(HashAlgorithm hash, ByteView digest, PinEntry& pin, std::string_view purpose) {
    if (digest.size() != digest_size(hash))
        throw Error(ErrorCode::InvalidArgument, std::string("digest is ") + std::to_string(digest.size()) +
                                                    " bytes, " + to_string(hash) + " needs " +
                                                    std::to_string(digest_size(hash)));
    require_signing_key(attributes_);
    if (attributes_.scheme == SignatureScheme::RsaPss)
        throw Error(ErrorCode::NotSupported, "RSA-PSS is not supported by this token");

    const std::unique_ptr<OperationScope> scope = begin_operation();
    return do_sign_hash(hash, digest, pin, purpose);
}

std::unique_ptr<SignatureBatch> KeyHandle::begin_batch(std::size_t count, PinEntry& pin, std::string_view purpose) {
    require_signature_key(attributes_);
    if (attributes_.pin_policy == PinPolicy::PerSignature)
        throw Error(ErrorCode::PolicyViolation, "batch signing: the card requires the PIN for every signature (sole control); "
                                                "it must be set to allow several signatures per PIN first");
    if (count == 0) throw Error(ErrorCode::InvalidArgument, "batch signing: no documents");

    std::unique_ptr<OperationScope> scope = begin_operation();
    std::unique_ptr<SignatureBatch> batch = do_begin_batch(count, pin, purpose);
    if (!batch) throw Error(ErrorCode::NotSupported, "key " + attributes_.id + ": the token started no batch");
    return std::make_unique<ScopedBatch>(std::shared_ptr<void>(std::move(scope)), std::move(batch));
}

std::unique_ptr<SignatureBatch> KeyHandle::do_begin_batch(std::size_t, PinEntry&, std::string_view) {
    throw Error(ErrorCode::NotSupported, "this token cannot sign in batches");
}

}  // namespace qscd
