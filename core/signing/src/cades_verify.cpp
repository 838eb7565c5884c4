// Verification of CAdES-B-B detached signatures: RFC 5652 §5.4/§5.6 signature and message-digest
// checks, RFC 5035 §5.4 signing-certificate-v2 matching, and RFC 5280 path validation via mbedTLS with
// validity judged at the claimed signing time (ETSI EN 319 102-1 basic validation, simplified).
#include "qscd/signing/cades_verify.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "der.hpp"
#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using der::Malformed;
using der::Reader;

bool same(ByteView a, ByteView b) { return std::ranges::equal(a, b); }
ByteView view(const mbedtls_x509_buf& buf) { return {buf.p, buf.len}; }

struct SignerInfo {
    ByteView sid_issuer;         // Name TLV, when sid is IssuerAndSerialNumber
    ByteView sid_serial;         // INTEGER content
    ByteView sid_key_id;         // SubjectKeyIdentifier, when sid is [0]
    HashAlgorithm hash{};
    ByteView signed_attrs;       // whole [0] IMPLICIT element
    ByteView signature_oid;
    ByteView signature;
};

struct Cms {
    ByteView content_type;              // eContentType
    std::vector<ByteView> certificates; // whole DER certificates
    SignerInfo signer;
};

struct Attributes {
    std::optional<ByteView> content_type;
    std::optional<ByteView> message_digest;
    std::optional<std::uint8_t> signing_time_tag;
    ByteView signing_time;
    std::optional<ByteView> signing_certificate_v2;  // the SigningCertificateV2 value (whole TLV)
};

SignerInfo parse_signer_info(ByteView content) {
    SignerInfo si;
    Reader r(content);
    der::small_integer(r.read(der::kInteger, "SignerInfo.version"), "SignerInfo.version");
    if (r.peek(der::kSequence)) {  // IssuerAndSerialNumber
        Reader ias(r.read(der::kSequence, "IssuerAndSerialNumber"));
        ias.read(der::kSequence, "IssuerAndSerialNumber.issuer", &si.sid_issuer);
        si.sid_serial = ias.read(der::kInteger, "IssuerAndSerialNumber.serialNumber");
        ias.expect_end("IssuerAndSerialNumber");
    } else {
        si.sid_key_id = r.read(der::context(0, false), "SignerInfo.sid");
    }
    Reader alg(r.read(der::kSequence, "SignerInfo.digestAlgorithm"));
    auto hash = der::hash_of_digest_oid(alg.read(der::kOid, "digestAlgorithm.algorithm"));
    if (!hash) throw Malformed("unsupported digest algorithm (SHA-256/384/512 are supported)");
    si.hash = *hash;
    if (!r.peek(der::context(0))) throw Malformed("SignerInfo has no signed attributes (CAdES requires them)");
    r.read(der::context(0), "SignerInfo.signedAttrs", &si.signed_attrs);
    Reader sig_alg(r.read(der::kSequence, "SignerInfo.signatureAlgorithm"));
    si.signature_oid = sig_alg.read(der::kOid, "signatureAlgorithm.algorithm");
    si.signature = r.read(der::kOctetString, "SignerInfo.signature");
    if (r.peek(der::context(1))) r.read(der::context(1), "SignerInfo.unsignedAttrs");
    r.expect_end("SignerInfo");
    return si;
}

Cms parse_cms(ByteView input) {
    Cms cms;
    Reader top(input);
    Reader content_info(top.read(der::kSequence, "ContentInfo"));
    top.expect_end("ContentInfo");
    if (!same(content_info.read(der::kOid, "ContentInfo.contentType"), der::kIdSignedData))
        throw Malformed("ContentInfo is not SignedData");
    Reader explicit0(content_info.read(der::context(0), "ContentInfo.content"));
    content_info.expect_end("ContentInfo");
    Reader sd(explicit0.read(der::kSequence, "SignedData"));
    explicit0.expect_end("ContentInfo.content");

    der::small_integer(sd.read(der::kInteger, "SignedData.version"), "SignedData.version");
    Reader digest_algorithms(sd.read(der::kSet, "SignedData.digestAlgorithms"));
    std::vector<ByteView> listed;
    while (!digest_algorithms.at_end()) {
        Reader alg(digest_algorithms.read(der::kSequence, "DigestAlgorithmIdentifier"));
        listed.push_back(alg.read(der::kOid, "DigestAlgorithmIdentifier.algorithm"));
    }
    Reader encap(sd.read(der::kSequence, "EncapsulatedContentInfo"));
    cms.content_type = encap.read(der::kOid, "eContentType");
    if (!encap.at_end()) throw Malformed("signature is not detached (eContent present)");
    if (sd.peek(der::context(0))) {
        Reader certs(sd.read(der::context(0), "SignedData.certificates"));
        while (!certs.at_end()) {
            std::uint8_t tag = 0;
            ByteView whole;
            certs.read_any(&tag, "CertificateChoices", &whole);
            if (tag == der::kSequence) cms.certificates.push_back(whole);  // other choices: not X.509, skipped
        }
    }
    if (sd.peek(der::context(1))) sd.read(der::context(1), "SignedData.crls");
    Reader infos(sd.read(der::kSet, "SignedData.signerInfos"));
    sd.expect_end("SignedData");
    ByteView first = infos.read(der::kSequence, "SignerInfo");
    if (!infos.at_end()) throw Malformed("more than one SignerInfo (only single-signer CAdES is supported)");
    cms.signer = parse_signer_info(first);
    // RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms (one-pass processing).
    if (std::ranges::none_of(listed, [&](ByteView oid) { return same(oid, der::digest_oid(cms.signer.hash)); }))
        throw Malformed("signer's digest algorithm missing from SignedData.digestAlgorithms");
    return cms;
}

// SignedAttributes (RFC 5652 §5.3): the attributes CAdES-B-B requires must appear once with one value.
Attributes parse_attributes(ByteView signed_attrs_whole) {
    Attributes a;
    Reader outer(signed_attrs_whole);
    Reader attrs(outer.read(der::context(0), "signedAttrs"));
    while (!attrs.at_end()) {
        Reader attr(attrs.read(der::kSequence, "Attribute"));
        ByteView type = attr.read(der::kOid, "Attribute.attrType");
        Reader values(attr.read(der::kSet, "Attribute.attrValues"));
        attr.expect_end("Attribute");
        auto single = [&](auto& slot, const char* name) -> Reader& {
            if (slot) throw Malformed(std::string(name) + " attribute appears more than once");
            return values;
        };
        if (same(type, der::kIdContentType)) {
            a.content_type = single(a.content_type, "content-type").read(der::kOid, "content-type value");
            values.expect_end("content-type (one value)");
        } else if (same(type, der::kIdMessageDigest)) {
            a.message_digest = single(a.message_digest, "message-digest").read(der::kOctetString, "message-digest value");
            values.expect_end("message-digest (one value)");
        } else if (same(type, der::kIdSigningTime)) {
            std::uint8_t tag = 0;
            a.signing_time = single(a.signing_time_tag, "signing-time").read_any(&tag, "signing-time value");
            a.signing_time_tag = tag;
            values.expect_end("signing-time (one value)");
        } else if (same(type, der::kIdSigningCertificateV2)) {
            ByteView whole;
            single(a.signing_certificate_v2, "signing-certificate-v2").read(der::kSequence, "SigningCertificateV2", &whole);
            a.signing_certificate_v2 = whole;
            values.expect_end("signing-certificate-v2 (one value)");
        }
    }
    return a;
}

TimePoint to_time_point(const mbedtls_x509_time& t) {
    using namespace std::chrono;
    year_month_day ymd{year(t.year), month(static_cast<unsigned>(t.mon)), day(static_cast<unsigned>(t.day))};
    return sys_days(ymd) + hours(t.hour) + minutes(t.min) + seconds(t.sec);
}

std::string format_time(TimePoint t) {
    using namespace std::chrono;
    auto secs = floor<seconds>(t);
    auto day = floor<days>(secs);
    year_month_day ymd(day);
    hh_mm_ss hms(secs - day);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d UTC", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf;
}

bool valid_at(const mbedtls_x509_crt& crt, TimePoint t) {
    return to_time_point(crt.valid_from) <= t && t <= to_time_point(crt.valid_to);
}

std::string name_string(const mbedtls_x509_name& name) {
    char buf[1024];
    int n = mbedtls_x509_dn_gets(buf, sizeof buf, &name);
    return n < 0 ? std::string("(unprintable name)") : std::string(buf);
}

// ESSCertIDv2 against the signer certificate (RFC 5035 §5.4: the first ESSCertIDv2 is the signer's).
std::string check_signing_certificate_v2(ByteView value_whole, const mbedtls_x509_crt& signer) {
    try {
        Reader top(value_whole);
        Reader scv2(top.read(der::kSequence, "SigningCertificateV2"));
        Reader certs(scv2.read(der::kSequence, "SigningCertificateV2.certs"));
        Reader id(certs.read(der::kSequence, "ESSCertIDv2"));
        HashAlgorithm hash = HashAlgorithm::Sha256;  // DEFAULT
        if (id.peek(der::kSequence)) {
            Reader alg(id.read(der::kSequence, "ESSCertIDv2.hashAlgorithm"));
            auto h = der::hash_of_digest_oid(alg.read(der::kOid, "hashAlgorithm.algorithm"));
            if (!h) return "signing-certificate-v2 uses an unsupported hash algorithm";
            hash = *h;
        }
        ByteView cert_hash = id.read(der::kOctetString, "ESSCertIDv2.certHash");
        if (!same(cert_hash, hash_bytes(hash, view(signer.raw))))
            return "signing-certificate-v2 hash does not match the signer certificate";
        if (id.peek(der::kSequence)) {
            Reader issuer_serial(id.read(der::kSequence, "IssuerSerial"));
            Reader names(issuer_serial.read(der::kSequence, "IssuerSerial.issuer"));
            bool issuer_found = false;
            while (!names.at_end()) {
                std::uint8_t tag = 0;
                Reader name(names.read_any(&tag, "GeneralName"));
                if (tag != der::context(4)) continue;  // only directoryName identifies an issuer
                ByteView dn;
                name.read(der::kSequence, "directoryName", &dn);
                if (same(dn, view(signer.issuer_raw))) issuer_found = true;
            }
            ByteView serial = issuer_serial.read(der::kInteger, "IssuerSerial.serialNumber");
            if (!issuer_found) return "signing-certificate-v2 issuer does not match the signer certificate";
            if (!same(serial, view(signer.serial)))
                return "signing-certificate-v2 serial number does not match the signer certificate";
        }
        return {};
    } catch (const Malformed& e) {
        return std::string("signing-certificate-v2 malformed: ") + e.what();
    }
}

struct ChainContext {
    TimePoint at;
    std::vector<std::string> notes;
};

// Validity is judged at signing time, not now (a signature stays valid after its certificate
// expires), so mbedTLS's now-based EXPIRED/FUTURE flags are replaced by our own check per certificate.
int chain_callback(void* ctx, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
    auto* chain = static_cast<ChainContext*>(ctx);
    *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
    if (depth > 0 && !valid_at(*crt, chain->at)) {  // depth 0 is the signer: certificate_validity covers it
        *flags |= MBEDTLS_X509_BADCERT_OTHER;
        chain->notes.push_back("CA certificate \"" + name_string(crt->subject) + "\" not valid at signing time");
    }
    return 0;
}

void fail(VerificationReport& r, CheckResult& check, std::string reason) {
    check.ok = false;
    check.detail = reason;
    r.problems.push_back(std::move(reason));
}

void pass(CheckResult& check, std::string detail) {
    check.ok = true;
    check.detail = std::move(detail);
}

}  // namespace

VerificationReport verify_cades_detached(ByteView cms_der, const std::function<Bytes(HashAlgorithm)>& document_digest,
                                         const std::vector<Bytes>& trust_anchors_der, TimePoint now) {
    VerificationReport r;
    glue::Crt anchors;
    for (std::size_t i = 0; i < trust_anchors_der.size(); ++i)
        glue::parse_certificate(anchors, trust_anchors_der[i], "trust anchor " + std::to_string(i + 1));

    // ---- structure ----
    Cms cms;
    Attributes attrs;
    glue::Crt signer;  // the signer certificate first, then the other embedded ones (path building)
    KeyType key_type{};
    try {
        cms = parse_cms(cms_der);
        attrs = parse_attributes(cms.signer.signed_attrs);
        std::optional<std::size_t> signer_index;
        for (std::size_t i = 0; i < cms.certificates.size() && !signer_index; ++i) {
            glue::Crt c;
            if (mbedtls_x509_crt_parse_der(&c, cms.certificates[i].data(), cms.certificates[i].size()) != 0) continue;
            bool match = cms.signer.sid_issuer.empty()
                             ? same(cms.signer.sid_key_id, view(c.ctx.subject_key_id))
                             : same(cms.signer.sid_issuer, view(c.ctx.issuer_raw)) &&
                                   same(cms.signer.sid_serial, view(c.ctx.serial));
            if (match) signer_index = i;
        }
        if (!signer_index) throw Malformed("signer certificate not found among the embedded certificates");
        ByteView signer_der = cms.certificates[*signer_index];
        if (mbedtls_x509_crt_parse_der(&signer, signer_der.data(), signer_der.size()) != 0)
            throw Malformed("signer certificate unreadable");
        for (std::size_t i = 0; i < cms.certificates.size(); ++i)
            if (i != *signer_index)  // unreadable extra certificates only matter if the path needs them
                (void)mbedtls_x509_crt_parse_der(&signer, cms.certificates[i].data(), cms.certificates[i].size());
        try {
            key_type = glue::key_type_of(signer.ctx.pk);
        } catch (const Error& e) {
            throw Malformed(std::string("signer key: ") + e.what());
        }
        r.signer_certificate_der.assign(signer_der.begin(), signer_der.end());
        r.signer_subject = name_string(signer.ctx.subject);
        r.hash_algorithm = cms.signer.hash;
        r.scheme = is_rsa(key_type) ? SignatureScheme::RsaPkcs1v15 : SignatureScheme::Ecdsa;
        pass(r.parse, "CMS SignedData, detached, one signer");
    } catch (const Malformed& e) {
        fail(r, r.parse, std::string("malformed CMS: ") + e.what());
        return r;
    }
    const mbedtls_x509_crt& cert = signer.ctx;
    HashAlgorithm hash = cms.signer.hash;

    // ---- signature over the signed attributes (RFC 5652 §5.4: DER SET OF, tag 0x31) ----
    {
        ByteView oid = cms.signer.signature_oid;
        bool oid_ok = is_rsa(key_type) ? same(oid, der::kIdRsaEncryption) || same(oid, der::rsa_signature_oid(hash))
                                       : same(oid, der::ecdsa_signature_oid(hash));
        Bytes to_be_signed(cms.signer.signed_attrs.begin(), cms.signer.signed_attrs.end());
        to_be_signed[0] = der::kSet;
        Bytes digest = hash_bytes(hash, to_be_signed);
        if (!oid_ok) {
            fail(r, r.signature, std::string("signature algorithm does not match a ") + to_string(key_type) + " key with " +
                                     to_string(hash));
        } else {
            try {
                Bytes sig(cms.signer.signature.begin(), cms.signer.signature.end());
                if (!is_rsa(key_type)) sig = ecdsa_der_to_raw(sig, ec_field_size(key_type));
                if (verify_signature(view(cert.raw), *r.scheme, hash, digest, sig))
                    pass(r.signature, std::string(to_string(*r.scheme)) + " with " + to_string(hash));
                else
                    fail(r, r.signature, "signature does not verify with the signer certificate");
            } catch (const Error& e) {
                fail(r, r.signature, std::string("signature unusable: ") + e.what());
            }
        }
    }

    // ---- message digest (RFC 5652 §11.2) ----
    if (!attrs.message_digest) {
        fail(r, r.message_digest, "message-digest attribute missing");
    } else {
        Bytes actual = document_digest(hash);
        if (same(actual, *attrs.message_digest))
            pass(r.message_digest, std::string("document ") + to_string(hash) + " matches");
        else
            fail(r, r.message_digest, "document does not match the signature (message digest differs)");
    }

    // ---- content type (RFC 5652 §11.1: must equal eContentType) ----
    if (!attrs.content_type)
        fail(r, r.content_type, "content-type attribute missing");
    else if (!same(*attrs.content_type, cms.content_type))
        fail(r, r.content_type, "content-type attribute differs from eContentType");
    else if (!same(cms.content_type, der::kIdData))
        fail(r, r.content_type, "content type is not id-data");
    else
        pass(r.content_type, "id-data");

    // ---- signing-certificate-v2 (EN 319 122-1 §5.2.2) ----
    if (!attrs.signing_certificate_v2) {
        fail(r, r.signing_certificate, "signing-certificate-v2 attribute missing");
    } else if (std::string why = check_signing_certificate_v2(*attrs.signing_certificate_v2, cert); !why.empty()) {
        fail(r, r.signing_certificate, why);
    } else {
        pass(r.signing_certificate, "matches the signer certificate");
    }

    // ---- certificate validity at signing time (EN 319 122-1 §5.2.1 signing-time) ----
    TimePoint judged_at = now;
    if (!attrs.signing_time_tag) {
        fail(r, r.certificate_validity, "signing-time attribute missing (required by CAdES-B-B)");
    } else if (auto t = der::parse_time(*attrs.signing_time_tag, attrs.signing_time); !t) {
        fail(r, r.certificate_validity, "signing-time attribute malformed");
    } else {
        r.signing_time = *t;
        judged_at = *t;
        if (*t > now + std::chrono::minutes(5))
            fail(r, r.certificate_validity, "signing time " + format_time(*t) + " is in the future");
        else if (!valid_at(cert, *t))
            fail(r, r.certificate_validity, "signing time " + format_time(*t) + " is outside the certificate validity " +
                                                format_time(to_time_point(cert.valid_from)) + " .. " +
                                                format_time(to_time_point(cert.valid_to)));
        else
            pass(r.certificate_validity, "valid at signing time " + format_time(*t));
    }

    // ---- key usage (EN 319 412-2 §4.3.2: nonRepudiation for content commitment) ----
    if (mbedtls_x509_crt_check_key_usage(&cert, MBEDTLS_X509_KU_NON_REPUDIATION) == 0 ||
        mbedtls_x509_crt_check_key_usage(&cert, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) == 0)
        pass(r.key_usage, "signing permitted");
    else
        fail(r, r.key_usage, "certificate key usage does not permit signing");

    // ---- path to a trust anchor (RFC 5280 §6 via mbedTLS) ----
    if (trust_anchors_der.empty()) {
        r.chain_checked = false;
        r.chain.detail = "chain not checked: no trust anchors given";
    } else {
        r.chain_checked = true;
        ChainContext ctx{judged_at, {}};
        std::uint32_t flags = 0;
        int ret = mbedtls_x509_crt_verify(&signer, &anchors, nullptr, nullptr, &flags, chain_callback, &ctx);
        if (ret == 0 && flags == 0) {
            pass(r.chain, "chains to a trust anchor");
        } else {
            std::string reason = "certificate chain not trusted";
            char info[512];
            std::uint32_t shown = flags & ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_OTHER);
            if (shown != 0 && mbedtls_x509_crt_verify_info(info, sizeof info, "", shown) > 0) {
                std::string text(info);
                std::replace(text.begin(), text.end(), '\n', ';');
                while (!text.empty() && (text.back() == ';' || text.back() == ' ')) text.pop_back();
                reason += ": " + text;
            }
            for (const std::string& note : ctx.notes) reason += "; " + note;
            fail(r, r.chain, reason);
        }
    }

    r.valid = r.parse.ok && r.signature.ok && r.message_digest.ok && r.content_type.ok && r.signing_certificate.ok &&
              r.certificate_validity.ok && r.key_usage.ok && (!r.chain_checked || r.chain.ok);
    return r;
}

VerificationReport verify_cades_detached(ByteView cms_der, const std::filesystem::path& document,
                                         const std::vector<Bytes>& trust_anchors_der, TimePoint now) {
    return verify_cades_detached(
        cms_der, [&](HashAlgorithm hash) { return hash_file(hash, document); }, trust_anchors_der, now);
}

}  // namespace qscd
