#include "qscd/key_handle.hpp"

#include "qscd/error.hpp"

namespace qscd {

CountedSignature KeyHandle::sign_hash_counted(HashAlgorithm hash, ByteView digest, const PinPrompt& prompt) {
    if (digest.size() != digest_size(hash))
        throw Error(ErrorCode::InvalidArgument, std::string("digest is ") + std::to_string(digest.size()) +
                                                    " bytes, " + to_string(hash) + " needs " +
                                                    std::to_string(digest_size(hash)));
    if ((static_cast<unsigned>(attributes_.usage) & static_cast<unsigned>(KeyUsage::Sign)) == 0)
        throw Error(ErrorCode::PolicyViolation, "key " + attributes_.id + " is not a signature key");
    if (attributes_.scheme == SignatureScheme::RsaPss)
        throw Error(ErrorCode::NotSupported, "RSA-PSS is not supported by this token");
    if (!prompt) throw Error(ErrorCode::InvalidArgument, "no PIN prompt given");

    Transaction transaction(transport());
    return do_sign_hash(hash, digest, prompt);
}

std::unique_ptr<SignatureBatch> KeyHandle::begin_batch(std::size_t count, const PinPrompt& prompt) {
    if ((static_cast<unsigned>(attributes_.usage) & static_cast<unsigned>(KeyUsage::Sign)) == 0)
        throw Error(ErrorCode::PolicyViolation, "key " + attributes_.id + " is not a signature key");
    if (attributes_.pin_policy == PinPolicy::PerSignature)
        throw Error(ErrorCode::PolicyViolation, "batch signing: the card requires the PIN for every signature (sole control); "
                                                "it must be set to allow several signatures per PIN first");
    if (count == 0) throw Error(ErrorCode::InvalidArgument, "batch signing: no documents");
    if (!prompt) throw Error(ErrorCode::InvalidArgument, "no PIN prompt given");
    return do_begin_batch(count, prompt);
}

std::unique_ptr<SignatureBatch> KeyHandle::do_begin_batch(std::size_t, const PinPrompt&) {
    throw Error(ErrorCode::NotSupported, "this token cannot sign in batches");
}

}  // namespace qscd
