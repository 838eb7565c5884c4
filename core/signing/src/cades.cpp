// CAdES-B-B detached signature creation: CMS SignedData (RFC 5652 §5) with the ETSI EN 319 122-1 §5.2
// baseline signed attributes and ESS signing-certificate-v2 (RFC 5035 §3).
#include "qscd/signing/cades.hpp"

#include <string>

#include "der.hpp"
#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd {
namespace {

// Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue } (RFC 5652 §5.3), one value.
Bytes attribute(ByteView type, ByteView value) { return der::seq({der::tlv(der::kOid, type), der::tlv(der::kSet, value)}); }

// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }       (RFC 5035 §3)
// ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT id-sha256, certHash OCTET STRING, issuerSerial IssuerSerial }
// IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
// SHA-256 is the DEFAULT, so DER demands hashAlgorithm be left out (X.690 §11.5).
Bytes signing_certificate_v2(ByteView certificate_der, ByteView issuer_name, ByteView serial_integer) {
    Bytes general_names = der::seq({der::tlv(der::context(4), issuer_name)});  // directoryName [4] EXPLICIT Name
    Bytes issuer_serial = der::seq({general_names, serial_integer});
    Bytes cert_hash = der::tlv(der::kOctetString, hash_bytes(HashAlgorithm::Sha256, certificate_der));
    Bytes ess_cert_id = der::seq({cert_hash, issuer_serial});
    return der::seq({der::seq({ess_cert_id})});
}

}  // namespace

struct CadesDetachedSigner::Prepared {
    CadesSigner signer;
    glue::Crt crt;                  // the signer certificate, parsed once: its key checks every signature
    Bytes issuer_name, serial;      // IssuerAndSerialNumber parts
    Bytes signing_certificate_v2;   // the attribute value: the same for every document
};

CadesDetachedSigner::CadesDetachedSigner(CadesSigner signer) : prepared_(std::make_unique<Prepared>()) {
    if (signer.scheme == SignatureScheme::RsaPss)
        throw Error(ErrorCode::NotSupported, "RSA-PSS CAdES signatures are not supported yet");
    if (!signer.sign_digest) throw Error(ErrorCode::InvalidArgument, "CAdES signer has no signing function");
    Prepared& p = *prepared_;
    glue::parse_certificate(p.crt, signer.certificate_der, "signer certificate");
    KeyType key_type = glue::key_type_of(p.crt.ctx.pk);
    if ((signer.scheme == SignatureScheme::Ecdsa) == is_rsa(key_type))
        throw Error(ErrorCode::InvalidArgument, std::string("signature scheme ") + to_string(signer.scheme) +
                                                    " does not fit the certificate's " + to_string(key_type) + " key");
    for (const Bytes& extra : signer.chain_der) {
        glue::Crt check;
        glue::parse_certificate(check, extra, "chain certificate");
    }
    p.issuer_name.assign(p.crt.ctx.issuer_raw.p, p.crt.ctx.issuer_raw.p + p.crt.ctx.issuer_raw.len);  // full Name TLV
    p.serial = der::tlv(der::kInteger, ByteView(p.crt.ctx.serial.p, p.crt.ctx.serial.len));
    p.signing_certificate_v2 = signing_certificate_v2(signer.certificate_der, p.issuer_name, p.serial);
    p.signer = std::move(signer);
}

CadesDetachedSigner::~CadesDetachedSigner() = default;
CadesDetachedSigner::CadesDetachedSigner(CadesDetachedSigner&&) noexcept = default;
CadesDetachedSigner& CadesDetachedSigner::operator=(CadesDetachedSigner&&) noexcept = default;

Bytes create_cades_detached(const CadesSigner& signer, HashAlgorithm hash, ByteView document_digest,
                            std::chrono::system_clock::time_point signing_time) {
    return CadesDetachedSigner(signer).sign(hash, document_digest, signing_time);
}

Bytes CadesDetachedSigner::sign(HashAlgorithm hash, ByteView document_digest,
                                std::chrono::system_clock::time_point signing_time) const {
    const CadesSigner& signer = prepared_->signer;
    const ByteView issuer_name = prepared_->issuer_name;
    const Bytes& serial = prepared_->serial;
    if (document_digest.size() != digest_size(hash))
        throw Error(ErrorCode::InvalidArgument, "document digest length " + std::to_string(document_digest.size()) +
                                                    " does not match " + to_string(hash));

    // Signed attributes (RFC 5652 §5.3, §11; EN 319 122-1 §5.2.1 signing-time, §5.2.2 signing-certificate-v2).
    Bytes signed_attrs = der::set_of({
        attribute(der::kIdContentType, der::tlv(der::kOid, der::kIdData)),
        attribute(der::kIdSigningTime, der::time(signing_time)),
        attribute(der::kIdMessageDigest, der::tlv(der::kOctetString, document_digest)),
        attribute(der::kIdSigningCertificateV2, prepared_->signing_certificate_v2),
    });
    // The signature covers the attributes encoded as SET OF (tag 0x31), not the [0] IMPLICIT form (§5.4).
    Bytes attrs_digest = hash_bytes(hash, signed_attrs);
    Bytes signature = signer.sign_digest(hash, attrs_digest);
    if (!glue::verify_with_key(prepared_->crt.ctx.pk, signer.scheme, hash, attrs_digest, signature))
        throw Error(ErrorCode::VerificationFailed, "the signature does not verify with the signer certificate "
                                                   "(wrong key or certificate?)");
    if (signer.scheme == SignatureScheme::Ecdsa) signature = ecdsa_raw_to_der(signature);

    Bytes digest_algorithm = der::seq({der::tlv(der::kOid, der::digest_oid(hash))});  // parameters absent (RFC 5754 §2)
    Bytes signature_algorithm =
        signer.scheme == SignatureScheme::Ecdsa
            ? der::seq({der::tlv(der::kOid, der::ecdsa_signature_oid(hash))})  // no parameters (RFC 5758 §3.2)
            : der::seq({der::tlv(der::kOid, der::rsa_signature_oid(hash)), der::tlv(der::kNull, {})});  // NULL (RFC 4055 §5)
    Bytes version1 = der::tlv(der::kInteger, Bytes{1});

    // SignerInfo (RFC 5652 §5.3): version 1 because sid is IssuerAndSerialNumber.
    Bytes implicit_attrs = signed_attrs;
    implicit_attrs[0] = der::context(0);  // [0] IMPLICIT SET OF Attribute
    Bytes signer_info = der::seq({version1, der::seq({issuer_name, serial}), digest_algorithm, implicit_attrs,
                                  signature_algorithm, der::tlv(der::kOctetString, signature)});

    Bytes certificates = signer.certificate_der;  // [0] IMPLICIT CertificateSet, signer first
    for (const Bytes& extra : signer.chain_der) certificates.insert(certificates.end(), extra.begin(), extra.end());

    // SignedData (RFC 5652 §5.1): version 1 (only id-data, no v2+ certificates, no attribute certs).
    // encapContentInfo without eContent: the detached form (§5.2).
    Bytes signed_data = der::seq({version1, der::tlv(der::kSet, digest_algorithm),
                                  der::seq({der::tlv(der::kOid, der::kIdData)}),
                                  der::tlv(der::context(0), certificates), der::tlv(der::kSet, signer_info)});
    // ContentInfo (RFC 5652 §3).
    return der::seq({der::tlv(der::kOid, der::kIdSignedData), der::tlv(der::context(0), signed_data)});
}

}  // namespace qscd
