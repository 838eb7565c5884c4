// CAdES-B-B detached signatures (ETSI EN 319 122-1 §5 / §6.3 baseline, on CMS SignedData RFC 5652 §5).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd {

struct CadesSigner {
    Bytes certificate_der;          // signer certificate
    std::vector<Bytes> chain_der;   // extra certificates to embed (may be empty)
    SignatureScheme scheme;         // RsaPkcs1v15 or Ecdsa (RsaPss → Error(NotSupported) for now)
    // Returns a card-format signature (RSA PKCS#1 v1.5 / ECDSA r‖s) over the digest of the DER signed attributes.
    std::function<Bytes(HashAlgorithm, ByteView digest)> sign_digest;
};

// Builds ContentInfo(SignedData) without eContent, one SignerInfo (IssuerAndSerialNumber) and the signed
// attributes content-type, signing-time, message-digest and signing-certificate-v2, DER-sorted.
// The signature from sign_digest is checked against the certificate before it is embedded, so a card
// that signed with another key than the certificate's (or returned garbage) is caught here:
// Error(VerificationFailed). Error(InvalidArgument) for a digest of the wrong length, an unusable
// certificate, or a scheme that does not fit the certificate's key; errors from sign_digest propagate.
Bytes create_cades_detached(const CadesSigner& signer, HashAlgorithm hash, ByteView document_digest,
                            std::chrono::system_clock::time_point signing_time);

// The same, prepared once per signer for many documents: the certificates are parsed and checked and
// the signing-certificate-v2 attribute is computed in the constructor (which throws what
// create_cades_detached throws for them); sign() then does only the per-document work.
class CadesDetachedSigner {
public:
    explicit CadesDetachedSigner(CadesSigner signer);
    ~CadesDetachedSigner();
    CadesDetachedSigner(CadesDetachedSigner&&) noexcept;
    CadesDetachedSigner& operator=(CadesDetachedSigner&&) noexcept;

    Bytes sign(HashAlgorithm hash, ByteView document_digest, std::chrono::system_clock::time_point signing_time) const;

private:
    struct Prepared;
    std::unique_ptr<Prepared> prepared_;
};

}  // namespace qscd
