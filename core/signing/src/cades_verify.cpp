// Verification of CAdES-B-B signatures: RFC 5652 §5.4/§5.6 signature and message-digest checks,
// RFC 5035 §5.4 signing-certificate-v2 matching, RFC 5280 §6 path validation via mbedTLS and §6.3 CRL
// checking, with every certificate judged at the validation time (ETSI EN 319 102-1 §5.2.5), never
// at the signer's claimed signing time.
#include "qscd/signing/cades_verify.hpp"

#include <mbedtls/oid.h>
#include <mbedtls/x509_crl.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "der.hpp"
#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing/pem.hpp"
#include "qscd/atomic_file.hpp"
#include "qscd/signing/test_ca.hpp"

namespace qscd {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using der::Malformed;
using der::Reader;

constexpr auto kClockSkew = std::chrono::minutes(5);

bool same(ByteView a, ByteView b) { return std::ranges::equal(a, b); }
ByteView view(const mbedtls_x509_buf& buf) { return {buf.p, buf.len}; }
#define QSCD_OIDV(literal) der::oid_bytes(literal, sizeof(literal) - 1)

// Digests too weak for signatures (ETSI TS 119 312 §6.2.5: SHA-1 is no longer acceptable; MD5 long before).
const ByteView kOidSha1 = QSCD_OIDV(MBEDTLS_OID_DIGEST_ALG_SHA1);
const ByteView kOidMd5 = QSCD_OIDV(MBEDTLS_OID_DIGEST_ALG_MD5);
const ByteView kOidRsassaPss = QSCD_OIDV(MBEDTLS_OID_RSASSA_PSS);  // RFC 4055 §3.1
const ByteView kOidMgf1 = QSCD_OIDV(MBEDTLS_OID_MGF1);
const ByteView kIdSigningCertificateV1 = QSCD_OIDV(MBEDTLS_OID_PKCS9 "\x10\x02\x0c");  // RFC 2634 §5.4

// EKU purposes that allow signing documents (RFC 5280 §4.2.1.12): any, S/MIME (what openssl's
// smimesign purpose wants), documentSigning (RFC 9336), Microsoft document signing, Adobe PDF.
struct Purpose {
    ByteView oid;
    const char* name;
};
const Purpose kDocumentSigningPurposes[] = {
    {QSCD_OIDV(MBEDTLS_OID_ANY_EXTENDED_KEY_USAGE), "anyExtendedKeyUsage"},
    {QSCD_OIDV(MBEDTLS_OID_EMAIL_PROTECTION), "emailProtection"},
    {QSCD_OIDV(MBEDTLS_OID_KP "\x24"), "documentSigning"},
    {QSCD_OIDV("\x2b\x06\x01\x04\x01\x82\x37\x0a\x03\x0c"), "Microsoft document signing"},
    {QSCD_OIDV("\x2a\x86\x48\x86\xf7\x2f\x01\x01\x05"), "Adobe authentic documents"},
};

struct SignerInfo {
    ByteView sid_issuer;         // Name TLV, when sid is IssuerAndSerialNumber
    ByteView sid_serial;         // INTEGER content
    ByteView sid_key_id;         // SubjectKeyIdentifier, when sid is [0]
    ByteView digest_oid;
    std::optional<HashAlgorithm> hash;  // nullopt: not SHA-2 (weak or unknown, see digest_oid)
    ByteView signed_attrs;       // whole [0] IMPLICIT element
    ByteView signature_oid;
    ByteView signature_params;   // AlgorithmIdentifier.parameters (whole TLV), if any
    ByteView signature;
};

struct Cms {
    ByteView content_type;              // eContentType
    std::optional<Bytes> content;       // eContent, when attached
    std::vector<ByteView> digest_algorithms;
    std::vector<ByteView> certificates; // whole DER certificates
    std::vector<SignerInfo> signers;
};

struct Attributes {
    std::optional<ByteView> content_type;
    std::optional<ByteView> message_digest;
    std::optional<std::uint8_t> signing_time_tag;
    ByteView signing_time;
    std::optional<ByteView> signing_certificate_v2;  // the SigningCertificateV2 value (whole TLV)
    bool signing_certificate_v1 = false;             // ESS signing-certificate (RFC 2634 §5.4: SHA-1 hashes)
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
    si.digest_oid = alg.read(der::kOid, "digestAlgorithm.algorithm");
    si.hash = der::hash_of_digest_oid(si.digest_oid);
    if (!r.peek(der::context(0))) throw Malformed("SignerInfo has no signed attributes (CAdES requires them)");
    r.read(der::context(0), "SignerInfo.signedAttrs", &si.signed_attrs);
    Reader sig_alg(r.read(der::kSequence, "SignerInfo.signatureAlgorithm"));
    si.signature_oid = sig_alg.read(der::kOid, "signatureAlgorithm.algorithm");
    if (!sig_alg.at_end()) {
        std::uint8_t tag = 0;
        sig_alg.read_any(&tag, "signatureAlgorithm.parameters", &si.signature_params);
        sig_alg.expect_end("signatureAlgorithm");
    }
    si.signature = r.read(der::kOctetString, "SignerInfo.signature");
    if (r.peek(der::context(1))) r.read(der::context(1), "SignerInfo.unsignedAttrs");
    r.expect_end("SignerInfo");
    return si;
}

// eContent [0] EXPLICIT OCTET STRING; BER allows a constructed OCTET STRING of primitive segments.
Bytes read_econtent(Reader& explicit0) {
    std::uint8_t tag = 0;
    ByteView content = explicit0.read_any(&tag, "eContent");
    explicit0.expect_end("eContent");
    if (tag == der::kOctetString) return Bytes(content.begin(), content.end());
    if (tag != (der::kOctetString | 0x20)) throw Malformed("eContent is not an OCTET STRING");
    Bytes out;
    Reader segments(content);
    while (!segments.at_end()) {
        ByteView part = segments.read(der::kOctetString, "eContent segment");
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
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
    while (!digest_algorithms.at_end()) {
        Reader alg(digest_algorithms.read(der::kSequence, "DigestAlgorithmIdentifier"));
        cms.digest_algorithms.push_back(alg.read(der::kOid, "DigestAlgorithmIdentifier.algorithm"));
    }
    Reader encap(sd.read(der::kSequence, "EncapsulatedContentInfo"));
    cms.content_type = encap.read(der::kOid, "eContentType");
    if (!encap.at_end()) {
        Reader econtent(encap.read(der::context(0), "EncapsulatedContentInfo.eContent"));
        cms.content = read_econtent(econtent);
        encap.expect_end("EncapsulatedContentInfo");
    }
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
    while (!infos.at_end()) cms.signers.push_back(parse_signer_info(infos.read(der::kSequence, "SignerInfo")));
    if (cms.signers.empty()) throw Malformed("no SignerInfo");
    // RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms (one-pass processing).
    for (const SignerInfo& si : cms.signers)
        if (std::ranges::none_of(cms.digest_algorithms, [&](ByteView oid) { return same(oid, si.digest_oid); }))
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
        } else if (same(type, kIdSigningCertificateV1)) {
            a.signing_certificate_v1 = true;
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

// RSASSA-PSS-params (RFC 4055 §3.1): hash and MGF1 hash must be the signer's SHA-2 digest, trailer 1.
struct PssParams {
    mbedtls_md_type_t mgf1_hash;
    int salt_length;
};
PssParams parse_pss_params(ByteView params_whole, HashAlgorithm hash) {
    if (params_whole.empty()) throw Malformed("RSASSA-PSS parameters missing (the SHA-1 defaults are refused)");
    Reader top(params_whole);
    Reader params(top.read(der::kSequence, "RSASSA-PSS-params"));
    auto digest_of = [](Reader& alg_id, const char* what) {
        Reader alg(alg_id.read(der::kSequence, what));
        auto h = der::hash_of_digest_oid(alg.read(der::kOid, what));
        if (!h) throw Malformed(std::string(what) + " is not SHA-256/384/512");
        return *h;
    };
    std::optional<HashAlgorithm> pss_hash, mgf_hash;
    int salt = 20;
    if (params.peek(der::context(0))) {
        Reader h(params.read(der::context(0), "hashAlgorithm"));
        pss_hash = digest_of(h, "RSASSA-PSS hashAlgorithm");
    }
    if (params.peek(der::context(1))) {
        Reader m(params.read(der::context(1), "maskGenAlgorithm"));
        Reader mgf(m.read(der::kSequence, "maskGenAlgorithm"));
        if (!same(mgf.read(der::kOid, "maskGenAlgorithm.algorithm"), kOidMgf1)) throw Malformed("PSS mask generation is not MGF1");
        mgf_hash = digest_of(mgf, "MGF1 hash");
    }
    if (params.peek(der::context(2))) {
        Reader s(params.read(der::context(2), "saltLength"));
        salt = der::small_integer(s.read(der::kInteger, "saltLength"), "saltLength");
    }
    if (params.peek(der::context(3))) {
        Reader t(params.read(der::context(3), "trailerField"));
        if (der::small_integer(t.read(der::kInteger, "trailerField"), "trailerField") != 1)
            throw Malformed("PSS trailerField is not 1");
    }
    params.expect_end("RSASSA-PSS-params");
    if (pss_hash != hash || mgf_hash != hash) throw Malformed("PSS hash or MGF1 hash differs from the signer's digest algorithm");
    return {glue::md_type(hash), salt};
}

// What the chain callback learned about the chain mbedTLS built: the certificates by depth (0 = the
// signer, last = the trust anchor) and which of them are outside their validity at the validation time.
struct ChainContext {
    TimePoint at;
    std::vector<const mbedtls_x509_crt*> by_depth;
    std::vector<std::string> out_of_validity;
};

// mbedTLS judges EXPIRED/FUTURE against the system clock; the validation time may differ (--at), so
// those flags are replaced by our own check at ChainContext::at, for every certificate (RFC 5280 §6.1.3 (a)(2)).
int chain_callback(void* ctx, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
    auto* chain = static_cast<ChainContext*>(ctx);
    *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
    if (chain->by_depth.size() <= static_cast<std::size_t>(depth)) chain->by_depth.resize(static_cast<std::size_t>(depth) + 1);
    chain->by_depth[static_cast<std::size_t>(depth)] = crt;
    if (depth > 0 && !valid_at(*crt, chain->at)) {  // depth 0 is the signer: certificate_validity covers it
        *flags |= MBEDTLS_X509_BADCERT_OTHER;
        chain->out_of_validity.push_back("CA certificate \"" + name_string(crt->subject) + "\" is not valid at the validation time (" +
                                         format_time(to_time_point(crt->valid_from)) + " .. " +
                                         format_time(to_time_point(crt->valid_to)) + ")");
    }
    return 0;
}

struct Crls {
    mbedtls_x509_crl chain;
    Crls() { mbedtls_x509_crl_init(&chain); }
    ~Crls() { mbedtls_x509_crl_free(&chain); }
    Crls(const Crls&) = delete;
    Crls& operator=(const Crls&) = delete;
    bool empty() const { return chain.version == 0; }
};

bool parse_crls(Crls& crls, ByteView given) {
    if (given.empty()) return false;
    const std::string_view text(reinterpret_cast<const char*>(given.data()), given.size());
    Bytes data(given.begin(), given.end());
    if (text.find("-----BEGIN") != std::string_view::npos) data.push_back(0);  // mbedTLS parses PEM only NUL-terminated
    return mbedtls_x509_crl_parse(&crls.chain, data.data(), data.size()) == 0;
}

// Verifies the CRL's signature with the issuer's key (RFC 5280 §6.3.3 (f)); the issuer must be
// allowed to sign CRLs (keyUsage cRLSign, §4.2.1.3).
bool crl_signed_by(const mbedtls_x509_crl& crl, mbedtls_x509_crt& issuer) {
    if (mbedtls_x509_crt_check_key_usage(&issuer, MBEDTLS_X509_KU_CRL_SIGN) != 0) return false;
    try {
        Reader top(view(crl.raw));
        Reader list(top.read(der::kSequence, "CertificateList"));
        list.read(der::kSequence, "tbsCertList");
        Reader alg(list.read(der::kSequence, "signatureAlgorithm"));
        ByteView oid = alg.read(der::kOid, "signatureAlgorithm.algorithm");
        ByteView bits = list.read(0x03, "signatureValue");
        if (bits.empty() || bits[0] != 0) return false;
        for (HashAlgorithm h : {HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512}) {
            if (!same(oid, der::ecdsa_signature_oid(h)) && !same(oid, der::rsa_signature_oid(h))) continue;
            const Bytes digest = hash_bytes(h, view(crl.tbs));
            return mbedtls_pk_verify(&issuer.pk, glue::md_type(h), digest.data(), digest.size(), bits.data() + 1,
                                     bits.size() - 1) == 0;
        }
    } catch (const Malformed&) {
    }
    return false;
}

// reasonCode entry extension (RFC 5280 §5.3.1), if present.
std::string revocation_reason(const mbedtls_x509_crl_entry& entry) {
    if (entry.entry_ext.len == 0) return "unspecified";
    try {
        // mbedTLS points entry_ext at the Extensions tag but counts only the content in len: read the
        // whole TLV, bounded by the end of the entry.
        const std::uint8_t* entry_end = entry.raw.p + entry.raw.len;
        if (entry.entry_ext.p < entry.raw.p || entry.entry_ext.p >= entry_end) return "unreadable reason";
        Reader outer(ByteView(entry.entry_ext.p, static_cast<std::size_t>(entry_end - entry.entry_ext.p)));
        Reader exts(outer.read(der::kSequence, "crlEntryExtensions"));
        while (!exts.at_end()) {
            Reader ext(exts.read(der::kSequence, "Extension"));
            ByteView oid = ext.read(der::kOid, "extnID");
            if (ext.peek(0x01)) ext.read(0x01, "critical");
            Reader value(ext.read(der::kOctetString, "extnValue"));
            if (!same(oid, Bytes{0x55, 0x1d, 0x15})) continue;
            ByteView code = value.read(0x0a, "CRLReason");
            if (code.size() != 1) return "unknown reason";
            auto reason = revocation_reason_from_code(code[0]);
            return reason ? to_string(*reason) : "unknown reason";
        }
    } catch (const Malformed&) {
        return "unreadable reason";
    }
    return "unspecified";
}

Bytes canonical_integer(ByteView v) {
    Bytes out(v.begin(), v.end());
    while (out.size() > 1 && out[0] == 0x00 && !(out[1] & 0x80)) out.erase(out.begin());
    return out;
}

struct RevocationOutcome {
    std::vector<std::string> revoked;     // Invalid
    std::vector<std::string> unusable;    // CRLs given for an issuer but none usable: Indeterminate
    std::vector<std::string> unchecked;   // certificates with no CRL at all
    std::vector<std::string> notes;       // revoked only after the validation time
};

// RFC 5280 §6.3, for every certificate of the built chain below the trust anchor.
RevocationOutcome check_revocation(const ChainContext& chain, const Crls& crls, TimePoint at) {
    RevocationOutcome out;
    const TimePoint latest_issue = std::max(at, std::chrono::system_clock::now()) + kClockSkew;
    for (std::size_t depth = 0; depth + 1 < chain.by_depth.size(); ++depth) {
        const mbedtls_x509_crt* cert = chain.by_depth[depth];
        auto* issuer = const_cast<mbedtls_x509_crt*>(chain.by_depth[depth + 1]);  // mbedTLS takes non-const, does not write
        if (!cert || !issuer) continue;
        const std::string name = "\"" + name_string(cert->subject) + "\"";
        bool found = false, usable = false;
        std::string why_unusable;
        for (const mbedtls_x509_crl* crl = crls.empty() ? nullptr : &crls.chain; crl; crl = crl->next) {
            if (!same(view(crl->issuer_raw), view(cert->issuer_raw))) continue;
            found = true;
            if (!crl_signed_by(*crl, *issuer)) {
                why_unusable = "the CRL of \"" + name_string(crl->issuer) + "\" is not signed by that CA";
                continue;
            }
            if (to_time_point(crl->this_update) > latest_issue) {
                why_unusable = "the CRL of \"" + name_string(crl->issuer) + "\" is from the future (thisUpdate " +
                               format_time(to_time_point(crl->this_update)) + ")";
                continue;
            }
            if (crl->next_update.year != 0 && to_time_point(crl->next_update) < at) {
                why_unusable = "the CRL of \"" + name_string(crl->issuer) + "\" is out of date (nextUpdate " +
                               format_time(to_time_point(crl->next_update)) + ")";
                continue;
            }
            usable = true;
            const Bytes serial = canonical_integer(view(cert->serial));
            for (const mbedtls_x509_crl_entry* e = &crl->entry; e && e->raw.len > 0; e = e->next) {
                if (canonical_integer(view(e->serial)) != serial) continue;
                const TimePoint when = to_time_point(e->revocation_date);
                const std::string what = name + " revoked on " + format_time(when) + " (reason " + revocation_reason(*e) + ")";
                (when <= at ? out.revoked : out.notes).push_back(when <= at ? what : what + ", after the validation time");
            }
        }
        if (!found)
            out.unchecked.push_back(name);
        else if (!usable)
            out.unusable.push_back(name + ": " + why_unusable);
    }
    return out;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
    return out;
}

// Failures are classified so the report can say INVALID, INDETERMINATE or UNSUPPORTED (EN 319 102-1 §5.1.3).
void fail(SignerReport& r, CheckResult& check, std::string reason, Indication kind = Indication::Invalid) {
    check.ok = false;
    check.skipped = false;
    check.detail = reason;
    r.problems.push_back(std::move(reason));
    auto rank = [](Indication i) {
        switch (i) {
            case Indication::Invalid: return 3;
            case Indication::Unsupported: return 2;
            case Indication::Indeterminate: return 1;
            case Indication::Valid: return 0;
        }
        return 3;
    };
    if (r.problems.size() == 1 || rank(kind) > rank(r.indication)) r.indication = kind;
}

void pass(CheckResult& check, std::string detail) {
    check.ok = true;
    check.skipped = false;
    check.detail = std::move(detail);
}

void skip(CheckResult& check, std::string detail) {
    check.ok = false;
    check.skipped = true;
    check.detail = std::move(detail);
}

bool is_weak_digest(ByteView oid) { return same(oid, kOidSha1) || same(oid, kOidMd5); }

// Key usage (RFC 5280 §4.2.1.3, EN 319 412-2 §4.3.2) and extended key usage (§4.2.1.12) of the signer.
void check_key_usage(SignerReport& r, const mbedtls_x509_crt& cert) {
    r.key_usage_extension = mbedtls_x509_crt_has_ext_type(&cert, MBEDTLS_X509_EXT_KEY_USAGE) != 0;
    std::string detail;
    if (r.key_usage_extension) {
        if (mbedtls_x509_crt_check_key_usage(&cert, MBEDTLS_X509_KU_NON_REPUDIATION) != 0 &&
            mbedtls_x509_crt_check_key_usage(&cert, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0)
            return fail(r, r.key_usage, "certificate key usage permits neither nonRepudiation nor digitalSignature");
        detail = mbedtls_x509_crt_check_key_usage(&cert, MBEDTLS_X509_KU_NON_REPUDIATION) == 0 ? "nonRepudiation"
                                                                                               : "digitalSignature";
    } else {
        detail = "no keyUsage extension (any use, RFC 5280 §4.2.1.3)";
    }
    if (mbedtls_x509_crt_has_ext_type(&cert, MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE)) {
        bool allowed = false;
        for (const Purpose& p : kDocumentSigningPurposes)
            if (mbedtls_x509_crt_check_extended_key_usage(&cert, reinterpret_cast<const char*>(p.oid.data()), p.oid.size()) == 0)
                allowed = true;
        if (!allowed) {
            std::vector<std::string> listed;
            for (const mbedtls_x509_sequence* s = &cert.ext_key_usage; s && s->buf.len > 0; s = s->next) {
                const char* desc = nullptr;
                listed.push_back(mbedtls_oid_get_extended_key_usage(&s->buf, &desc) == 0 && desc ? desc : "other purpose");
            }
            return fail(r, r.key_usage, "certificate extended key usage excludes signing documents (only " +
                                            join(listed, ", ") + ")");
        }
        detail += "; extended key usage allows signing documents";
    }
    pass(r.key_usage, detail);
}

// Everything about one SignerInfo.
SignerReport verify_signer(const Cms& cms, const SignerInfo& si, const Attributes& attrs, glue::Crt& chain,
                           const std::function<Bytes(HashAlgorithm)>& content_digest, const VerificationOptions& options,
                           glue::Crt& anchors, const Crls& crls) {
    SignerReport r;
    const mbedtls_x509_crt& cert = chain.ctx;
    const TimePoint at = options.validation_time;
    r.signer_certificate_der.assign(cert.raw.p, cert.raw.p + cert.raw.len);
    r.signer_subject = name_string(cert.subject);
    r.hash_algorithm = si.hash;

    // ---- algorithms (ETSI TS 119 312: SHA-1 is too weak for signatures) ----
    std::optional<KeyType> key_type;
    try {
        key_type = glue::key_type_of(cert.pk);
    } catch (const Error& e) {
        fail(r, r.algorithm, std::string("signer key not supported: ") + e.what(), Indication::Unsupported);
    }
    const bool pss = same(si.signature_oid, kOidRsassaPss);
    if (!si.hash && is_weak_digest(si.digest_oid)) {
        fail(r, r.algorithm,
             std::string(same(si.digest_oid, kOidSha1) ? "SHA-1" : "MD5") +
                 " is too weak for signatures (ETSI TS 119 312); the signature is not accepted",
             Indication::Indeterminate);
    } else if (!si.hash) {
        fail(r, r.algorithm, "digest algorithm not supported (SHA-256/384/512 are)", Indication::Unsupported);
    } else if (key_type) {
        const bool oid_ok = is_rsa(*key_type) ? same(si.signature_oid, der::kIdRsaEncryption) ||
                                                    same(si.signature_oid, der::rsa_signature_oid(*si.hash)) || pss
                                              : same(si.signature_oid, der::ecdsa_signature_oid(*si.hash));
        if (!oid_ok)
            fail(r, r.algorithm, std::string("signature algorithm not supported for a ") + to_string(*key_type) + " key with " +
                                     to_string(*si.hash), Indication::Unsupported);
        else {
            r.scheme = pss ? SignatureScheme::RsaPss : is_rsa(*key_type) ? SignatureScheme::RsaPkcs1v15 : SignatureScheme::Ecdsa;
            pass(r.algorithm, std::string(to_string(*r.scheme)) + " with " + to_string(*si.hash));
        }
    }

    // ---- signature over the signed attributes (RFC 5652 §5.4: DER SET OF, tag 0x31) ----
    if (!r.algorithm.ok) {
        skip(r.signature, "not checked (algorithm)");
    } else {
        const HashAlgorithm hash = *si.hash;
        Bytes to_be_signed(si.signed_attrs.begin(), si.signed_attrs.end());
        to_be_signed[0] = der::kSet;
        const Bytes digest = hash_bytes(hash, to_be_signed);
        try {
            bool ok = false;
            if (pss) {
                const PssParams params = parse_pss_params(si.signature_params, hash);
                mbedtls_pk_rsassa_pss_options opts{params.mgf1_hash, params.salt_length};
                ok = mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &opts, const_cast<mbedtls_pk_context*>(&cert.pk),
                                           glue::md_type(hash), digest.data(), digest.size(), si.signature.data(),
                                           si.signature.size()) == 0;
            } else {
                Bytes sig(si.signature.begin(), si.signature.end());
                if (!is_rsa(*key_type)) sig = ecdsa_der_to_raw(sig, ec_field_size(*key_type));
                ok = verify_signature(view(cert.raw), *r.scheme, hash, digest, sig);
            }
            if (ok)
                pass(r.signature, std::string(to_string(*r.scheme)) + " with " + to_string(hash));
            else
                fail(r, r.signature, "signature does not verify with the signer certificate");
        } catch (const Malformed& e) {
            fail(r, r.signature, std::string("signature parameters: ") + e.what());
        } catch (const Error& e) {
            fail(r, r.signature, std::string("signature unusable: ") + e.what());
        }
    }

    // ---- message digest (RFC 5652 §11.2) ----
    if (!attrs.message_digest) {
        fail(r, r.message_digest, "message-digest attribute missing");
    } else if (!si.hash) {
        skip(r.message_digest, "not checked (algorithm)");
    } else if (same(content_digest(*si.hash), *attrs.message_digest)) {
        pass(r.message_digest, std::string(cms.content ? "encapsulated content " : "document ") + to_string(*si.hash) + " matches");
    } else {
        fail(r, r.message_digest, "document does not match the signature (message digest differs)");
    }

    // ---- content type (RFC 5652 §11.1: must equal eContentType) ----
    if (!attrs.content_type)
        fail(r, r.content_type, "content-type attribute missing");
    else if (!same(*attrs.content_type, cms.content_type))
        fail(r, r.content_type, "content-type attribute differs from eContentType");
    else if (!same(cms.content_type, der::kIdData))
        fail(r, r.content_type, "content type is not id-data", Indication::Unsupported);
    else
        pass(r.content_type, "id-data");

    // ---- signing-certificate-v2 (EN 319 122-1 §5.2.2) ----
    if (!attrs.signing_certificate_v2 && attrs.signing_certificate_v1)
        fail(r, r.signing_certificate,
             "only the ESS signing-certificate attribute, whose SHA-1 certificate hash is too weak (ETSI TS 119 312)",
             Indication::Indeterminate);
    else if (!attrs.signing_certificate_v2)
        fail(r, r.signing_certificate, "signing-certificate-v2 attribute missing");
    else if (std::string why = check_signing_certificate_v2(*attrs.signing_certificate_v2, cert); !why.empty())
        fail(r, r.signing_certificate, why);
    else
        pass(r.signing_certificate, "matches the signer certificate");

    // ---- signing time: the signer's claim (EN 319 122-1 §5.2.1). It proves nothing, but a claim that
    // contradicts the certificate or the validation time is refused. ----
    if (!attrs.signing_time_tag) {
        fail(r, r.signing_time, "signing-time attribute missing (required by CAdES-B-B)");
    } else if (auto t = der::parse_time(*attrs.signing_time_tag, attrs.signing_time); !t) {
        fail(r, r.signing_time, "signing-time attribute malformed");
    } else {
        r.signing_time_claimed = *t;
        if (*t > at + kClockSkew)
            fail(r, r.signing_time, "claimed signing time " + format_time(*t) + " is after the validation time " + format_time(at));
        else if (!valid_at(cert, *t))
            fail(r, r.signing_time, "claimed signing time " + format_time(*t) + " is outside the certificate validity " +
                                        format_time(to_time_point(cert.valid_from)) + " .. " +
                                        format_time(to_time_point(cert.valid_to)));
        else
            pass(r.signing_time, "claimed " + format_time(*t) + " (the signer's claim, not proven)");
    }

    // ---- signer certificate at the validation time (EN 319 102-1 §5.2.5; no proof of existence in B-B) ----
    if (valid_at(cert, at))
        pass(r.certificate_validity, "valid at the validation time " + format_time(at));
    else if (at > to_time_point(cert.valid_to))
        fail(r, r.certificate_validity, "certificate expired on " + format_time(to_time_point(cert.valid_to)) +
                                            " (validation time " + format_time(at) +
                                            "); no proof that the signature existed before (a time-stamp)",
             Indication::Indeterminate);
    else
        fail(r, r.certificate_validity, "certificate not yet valid at the validation time " + format_time(at) +
                                            " (valid from " + format_time(to_time_point(cert.valid_from)) + ")",
             Indication::Indeterminate);

    check_key_usage(r, cert);

    // ---- path to a trust anchor (RFC 5280 §6 via mbedTLS) and revocation (§6.3) ----
    if (options.trust_anchors_der.empty()) {
        r.chain.detail = "chain not checked: no trust anchors given";
        r.revocation.ok = true;
        r.revocation.detail = "revocation not checked: no trust anchors given";
        return r;
    }
    r.chain_checked = true;
    ChainContext ctx{at, {}, {}};
    std::uint32_t flags = 0;
    int ret = mbedtls_x509_crt_verify(&chain, &anchors, nullptr, nullptr, &flags, chain_callback, &ctx);
    const std::uint32_t shown = flags & ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_OTHER);
    if (ret == 0 && flags == 0) {
        pass(r.chain, "chains to a trust anchor");
    } else if (shown == 0 && !ctx.out_of_validity.empty()) {
        fail(r, r.chain, join(ctx.out_of_validity, "; "), Indication::Indeterminate);
    } else {
        std::string reason = "certificate chain not trusted";
        char info[512];
        if (shown != 0 && mbedtls_x509_crt_verify_info(info, sizeof info, "", shown) > 0) {
            std::string text(info);
            std::replace(text.begin(), text.end(), '\n', ';');
            while (!text.empty() && (text.back() == ';' || text.back() == ' ')) text.pop_back();
            reason += ": " + text;
        }
        for (const std::string& note : ctx.out_of_validity) reason += "; " + note;
        fail(r, r.chain, reason);
    }
    if (!r.chain.ok) {
        skip(r.revocation, "not checked (no trusted chain)");
        return r;
    }
    const RevocationOutcome rev = check_revocation(ctx, crls, at);
    if (!rev.revoked.empty()) {
        fail(r, r.revocation, join(rev.revoked, "; "));
    } else if (!rev.unusable.empty()) {
        fail(r, r.revocation, "revocation status unknown: " + join(rev.unusable, "; "), Indication::Indeterminate);
    } else {
        r.revocation_checked = rev.unchecked.empty();
        std::string detail = r.revocation_checked ? "no certificate of the chain revoked (CRLs current at the validation time)"
                                                  : "revocation status not checked for " + join(rev.unchecked, ", ") + " (no CRL given)";
        for (const auto& note : rev.notes) detail += "; " + note;
        r.revocation.ok = true;
        r.revocation.detail = detail;
    }
    return r;
}

}  // namespace

std::vector<Bytes> parse_certificates(ByteView data, const std::string& name) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    std::vector<Bytes> certs;
    try {
        if (text.find("-----BEGIN") != std::string_view::npos) {
            constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
            for (std::size_t at = text.find(begin); at != std::string_view::npos; at = text.find(begin, at + 1))
                certs.push_back(pem_to_der(text.substr(at)));
        } else {
            certs.emplace_back(data.begin(), data.end());
        }
        if (certs.empty()) throw Error(ErrorCode::InvalidArgument, "no CERTIFICATE block");
        for (const Bytes& der : certs) {
            glue::Crt parsed;
            glue::parse_certificate(parsed, der, "certificate");
        }
    } catch (const Error& e) {
        throw Error(ErrorCode::IoError, name + ": not a usable certificate file (PEM or DER): " + e.what());
    }
    return certs;
}

std::vector<Bytes> read_certificates(const std::filesystem::path& file) { return parse_certificates(read_file(file), file.string()); }

bool is_readable_crl(ByteView data) {
    Crls crls;
    return parse_crls(crls, data);
}

const char* to_string(Indication indication) {
    switch (indication) {
        case Indication::Valid: return "VALID";
        case Indication::Invalid: return "INVALID";
        case Indication::Indeterminate: return "INDETERMINATE";
        case Indication::Unsupported: return "UNSUPPORTED";
    }
    return "?";
}

VerificationReport verify_cades(ByteView cms_der, const std::function<Bytes(HashAlgorithm)>& detached_document_digest,
                                const VerificationOptions& options) {
    VerificationReport report;
    report.validation_time = options.validation_time;
    glue::Crt anchors;
    for (std::size_t i = 0; i < options.trust_anchors_der.size(); ++i)
        glue::parse_certificate(anchors, options.trust_anchors_der[i], "trust anchor " + std::to_string(i + 1));
    Crls crls;
    for (std::size_t i = 0; i < options.crls_der.size(); ++i)
        if (!parse_crls(crls, options.crls_der[i]))
            throw Error(ErrorCode::InvalidArgument, "CRL " + std::to_string(i + 1) + " is not a readable X.509 CRL");

    Cms cms;
    std::vector<Attributes> attrs;
    std::vector<std::unique_ptr<glue::Crt>> chains;  // per signer: its certificate first, then the others
    try {
        cms = parse_cms(cms_der);
        for (const SignerInfo& si : cms.signers) {
            attrs.push_back(parse_attributes(si.signed_attrs));
            std::optional<std::size_t> index;
            for (std::size_t i = 0; i < cms.certificates.size() && !index; ++i) {
                glue::Crt c;
                if (mbedtls_x509_crt_parse_der(&c, cms.certificates[i].data(), cms.certificates[i].size()) != 0) continue;
                bool match = si.sid_issuer.empty() ? same(si.sid_key_id, view(c.ctx.subject_key_id))
                                                   : same(si.sid_issuer, view(c.ctx.issuer_raw)) && same(si.sid_serial, view(c.ctx.serial));
                if (match) index = i;
            }
            if (!index) throw Malformed("signer certificate not found among the embedded certificates");
            auto chain = std::make_unique<glue::Crt>();
            if (mbedtls_x509_crt_parse_der(&*chain, cms.certificates[*index].data(), cms.certificates[*index].size()) != 0)
                throw Malformed("signer certificate unreadable");
            for (std::size_t i = 0; i < cms.certificates.size(); ++i)
                if (i != *index)  // unreadable extra certificates only matter if the path needs them
                    (void)mbedtls_x509_crt_parse_der(&*chain, cms.certificates[i].data(), cms.certificates[i].size());
            chains.push_back(std::move(chain));
        }
        report.attached = cms.content.has_value();
        if (cms.content) report.encapsulated_content = *cms.content;
        pass(report.parse, std::string("CMS SignedData, ") + (cms.content ? "content attached" : "detached") + ", " +
                               std::to_string(cms.signers.size()) + (cms.signers.size() == 1 ? " signer" : " signers"));
    } catch (const Malformed& e) {
        report.parse.ok = false;
        report.parse.detail = std::string("malformed CMS: ") + e.what();
        report.problems.push_back(report.parse.detail);
        return report;
    }

    std::map<HashAlgorithm, Bytes> digests;  // each digest algorithm's content digest, computed once
    const auto content_digest = [&](HashAlgorithm h) -> const Bytes& {
        auto it = digests.find(h);
        if (it == digests.end())
            it = digests.emplace(h, cms.content ? hash_bytes(h, *cms.content) : detached_document_digest(h)).first;
        return it->second;
    };
    report.valid = true;
    report.indication = Indication::Valid;
    for (std::size_t i = 0; i < cms.signers.size(); ++i) {
        SignerReport s = verify_signer(cms, cms.signers[i], attrs[i], *chains[i], content_digest, options, anchors, crls);
        s.valid = s.problems.empty();
        if (s.valid) s.indication = Indication::Valid;
        for (const auto& p : s.problems)
            report.problems.push_back(cms.signers.size() > 1 ? "signer " + std::to_string(i + 1) + ": " + p : p);
        if (!s.valid) {
            report.valid = false;
            auto rank = [](Indication x) { return x == Indication::Invalid ? 3 : x == Indication::Unsupported ? 2 : x == Indication::Indeterminate ? 1 : 0; };
            if (rank(s.indication) > rank(report.indication)) report.indication = s.indication;
        }
        report.signers.push_back(std::move(s));
    }
    return report;
}

VerificationReport verify_cades_detached(ByteView cms_der, const std::function<Bytes(HashAlgorithm)>& document_digest,
                                         const std::vector<Bytes>& trust_anchors_der, TimePoint now) {
    return verify_cades(cms_der, document_digest, VerificationOptions{trust_anchors_der, {}, now});
}

VerificationReport verify_cades_detached(ByteView cms_der, const std::filesystem::path& document,
                                         const std::vector<Bytes>& trust_anchors_der, TimePoint now) {
    return verify_cades_detached(
        cms_der, [&](HashAlgorithm hash) { return hash_file(hash, document); }, trust_anchors_der, now);
}

}  // namespace qscd
