// QCStatements (ETSI EN 319 412-5), certificatePolicies (RFC 5280 §4.2.1.4) and certificate facts.
// Writing goes through der::tlv / der::seq (lengths via mbedtls_asn1_write_len); reading through the
// bounds-checked der::Reader, whose Malformed becomes Error(InvalidArgument).
#include "qscd/signing/qc_statements.hpp"

#include <mbedtls/x509_crt.h>

#include <charconv>
#include <cstring>
#include <ctime>

#include "der.hpp"
#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"

namespace qscd {
namespace {

constexpr std::uint8_t kBoolean = 0x01, kIa5String = 0x16, kPrintableString = 0x13;

struct QcTypeName {
    const char* name;
    const char* oid;
};
constexpr QcTypeName kQcTypes[] = {{"esign", kOidQcTypeEsign}, {"eseal", kOidQcTypeEseal}, {"eweb", kOidQcTypeEweb}};

std::string qc_type_name(const std::string& dotted) {
    for (const auto& t : kQcTypes)
        if (dotted == t.oid) return t.name;
    return dotted;
}

std::string qc_type_oid(const std::string& name) {
    for (const auto& t : kQcTypes)
        if (name == t.name) return t.oid;
    return name;  // already dotted (encode_oid validates it)
}

Bytes oid_tlv(std::string_view dotted) { return der::tlv(der::kOid, encode_oid(dotted)); }

bool oid_equals(ByteView content, std::string_view dotted) {
    Bytes want = encode_oid(dotted);
    return content.size() == want.size() && std::equal(content.begin(), content.end(), want.begin());
}

ByteView view(const mbedtls_x509_buf& b) { return {b.p, b.len}; }

struct Extension {
    bool critical = false;
    ByteView value;
};

// Finds one extension in mbedTLS's raw v3_ext (the Extensions SEQUENCE). Malformed → der::Malformed.
std::optional<Extension> find_extension(const mbedtls_x509_crt& crt, std::string_view dotted) {
    if (crt.v3_ext.p == nullptr || crt.v3_ext.len == 0) return std::nullopt;
    der::Reader outer(view(crt.v3_ext));
    der::Reader list(outer.read(der::kSequence, "Extensions"));
    while (!list.at_end()) {
        der::Reader ext(list.read(der::kSequence, "Extension"));
        ByteView oid = ext.read(der::kOid, "extnID");
        Extension found;
        if (ext.peek(kBoolean)) {
            ByteView b = ext.read(kBoolean, "critical");
            found.critical = b.size() == 1 && b[0] != 0;
        }
        found.value = ext.read(der::kOctetString, "extnValue");
        ext.expect_end("Extension");
        if (oid_equals(oid, dotted)) return found;
    }
    return std::nullopt;
}

std::chrono::system_clock::time_point to_time_point(const mbedtls_x509_time& t) {
    std::tm tm{};
    tm.tm_year = t.year - 1900;
    tm.tm_mon = t.mon - 1;
    tm.tm_mday = t.day;
    tm.tm_hour = t.hour;
    tm.tm_min = t.min;
    tm.tm_sec = t.sec;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::vector<std::string> parse_policies(ByteView value) {
    std::vector<std::string> out;
    der::Reader outer(value);
    der::Reader list(outer.read(der::kSequence, "certificatePolicies"));
    outer.expect_end("certificatePolicies");
    while (!list.at_end()) {
        der::Reader info(list.read(der::kSequence, "PolicyInformation"));
        out.push_back(decode_oid(info.read(der::kOid, "policyIdentifier")));
        // policyQualifiers (optional) are not interpreted.
    }
    return out;
}

}  // namespace

Bytes encode_oid(std::string_view dotted) {
    std::vector<std::uint64_t> arcs;
    std::size_t pos = 0;
    while (true) {
        std::size_t dot = dotted.find('.', pos);
        std::string_view part = dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
        std::uint64_t v = 0;
        auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || v > (1ull << 56))
            throw Error(ErrorCode::InvalidArgument, "not a dotted OID: " + std::string(dotted));
        arcs.push_back(v);
        if (dot == std::string_view::npos) break;
        pos = dot + 1;
    }
    if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40))
        throw Error(ErrorCode::InvalidArgument, "not a dotted OID: " + std::string(dotted));
    Bytes out;
    auto put = [&out](std::uint64_t v) {
        std::uint8_t tmp[10];
        int n = 0;
        do {
            tmp[n++] = static_cast<std::uint8_t>(v & 0x7f);
            v >>= 7;
        } while (v != 0);
        while (n > 0) {
            --n;
            out.push_back(static_cast<std::uint8_t>(tmp[n] | (n > 0 ? 0x80 : 0)));
        }
    };
    put(arcs[0] * 40 + arcs[1]);
    for (std::size_t i = 2; i < arcs.size(); ++i) put(arcs[i]);
    return out;
}

std::string decode_oid(ByteView content) {
    if (content.empty()) throw Error(ErrorCode::InvalidArgument, "empty OID");
    std::string out;
    std::uint64_t v = 0;
    bool first = true, in_arc = false;
    for (std::uint8_t b : content) {
        if (!in_arc && b == 0x80) throw Error(ErrorCode::InvalidArgument, "OID arc with a leading zero octet");
        if (v > (1ull << 56)) throw Error(ErrorCode::InvalidArgument, "OID arc too large");
        v = (v << 7) | (b & 0x7f);
        in_arc = (b & 0x80) != 0;
        if (in_arc) continue;
        if (first) {
            std::uint64_t a = v < 80 ? v / 40 : 2;
            out = std::to_string(a) + "." + std::to_string(v - a * 40);
            first = false;
        } else {
            out += "." + std::to_string(v);
        }
        v = 0;
    }
    if (in_arc) throw Error(ErrorCode::InvalidArgument, "truncated OID");
    return out;
}

Bytes encode_qc_statements(bool compliance, bool sscd, const std::vector<std::string>& types,
                           const std::vector<PdsLocation>& pds) {
    std::vector<Bytes> statements;
    if (compliance) statements.push_back(der::seq({oid_tlv(kOidQcCompliance)}));
    if (!types.empty()) {
        Bytes list;
        for (const auto& t : types) {
            Bytes o = oid_tlv(qc_type_oid(t));
            list.insert(list.end(), o.begin(), o.end());
        }
        statements.push_back(der::seq({oid_tlv(kOidQcType), der::tlv(der::kSequence, list)}));
    }
    if (sscd) statements.push_back(der::seq({oid_tlv(kOidQcSscd)}));
    if (!pds.empty()) {
        Bytes list;
        for (const auto& p : pds) {
            if (p.url.empty() || p.language.size() != 2)
                throw Error(ErrorCode::InvalidArgument, "PdsLocation needs a URL and a two-letter language");
            Bytes loc = der::seq({der::tlv(kIa5String, as_bytes(p.url)), der::tlv(kPrintableString, as_bytes(p.language))});
            list.insert(list.end(), loc.begin(), loc.end());
        }
        statements.push_back(der::seq({oid_tlv(kOidQcPds), der::tlv(der::kSequence, list)}));
    }
    Bytes all;
    for (const auto& s : statements) all.insert(all.end(), s.begin(), s.end());
    return der::tlv(der::kSequence, all);
}

Bytes encode_certificate_policies(const std::vector<std::string>& policy_oids) {
    if (policy_oids.empty()) throw Error(ErrorCode::InvalidArgument, "certificatePolicies needs at least one policy");
    Bytes all;
    for (const auto& oid : policy_oids) {
        Bytes info = der::seq({oid_tlv(oid)});
        all.insert(all.end(), info.begin(), info.end());
    }
    return der::tlv(der::kSequence, all);
}

QcInfo parse_qc_statements_extension(ByteView extension_value) {
    QcInfo info;
    try {
        der::Reader outer(extension_value);
        der::Reader list(outer.read(der::kSequence, "QCStatements"));
        outer.expect_end("QCStatements");
        while (!list.at_end()) {
            der::Reader statement(list.read(der::kSequence, "QCStatement"));
            std::string id = decode_oid(statement.read(der::kOid, "statementId"));
            if (id == kOidQcCompliance) {
                info.compliance = true;
            } else if (id == kOidQcSscd) {
                info.sscd = true;
            } else if (id == kOidQcType) {
                der::Reader types(statement.read(der::kSequence, "QcType"));
                while (!types.at_end()) info.types.push_back(qc_type_name(decode_oid(types.read(der::kOid, "QcType"))));
                statement.expect_end("QCStatement");
            } else if (id == kOidQcPds) {
                der::Reader locations(statement.read(der::kSequence, "PdsLocations"));
                while (!locations.at_end()) {
                    der::Reader loc(locations.read(der::kSequence, "PdsLocation"));
                    ByteView url = loc.read(kIa5String, "PdsLocation url");
                    loc.read(kPrintableString, "PdsLocation language");
                    loc.expect_end("PdsLocation");
                    info.pds_urls.emplace_back(reinterpret_cast<const char*>(url.data()), url.size());
                }
                statement.expect_end("QCStatement");
            }
            // Other statements (retention period, limit value, legislation, ...) are skipped.
        }
    } catch (const der::Malformed& e) {
        throw Error(ErrorCode::InvalidArgument, std::string("QCStatements: ") + e.what());
    } catch (const Error& e) {
        throw Error(ErrorCode::InvalidArgument, std::string("QCStatements: ") + e.what());
    }
    return info;
}

std::optional<QcInfo> parse_qc_statements(ByteView certificate_der, std::string* error) {
    try {
        return facts_of(certificate_der).qc;
    } catch (const Error& e) {
        if (error) *error = e.what();
        return std::nullopt;
    }
}

CertificateFacts facts_of(ByteView certificate_der) {
    glue::Crt crt;
    glue::parse_certificate(crt, certificate_der, "certificate");
    CertificateFacts f;
    char buf[1024];
    if (mbedtls_x509_dn_gets(buf, sizeof buf, &crt.ctx.subject) >= 0) f.subject = buf;

    for (const mbedtls_x509_name* n = &crt.ctx.subject; n != nullptr; n = n->next) {
        if (n->oid.p == nullptr) continue;
        ByteView oid = view(n->oid);
        if (oid_equals(oid, "2.5.4.42") || oid_equals(oid, "2.5.4.4")) f.natural_person = true;
        if (oid_equals(oid, kOidOrganizationIdentifier)) f.legal_person = true;
    }

    f.not_before = to_time_point(crt.ctx.valid_from);
    f.not_after = to_time_point(crt.ctx.valid_to);

    const mbedtls_pk_context& pk = crt.ctx.pk;
    f.key_bits = static_cast<unsigned>(mbedtls_pk_get_bitlen(&pk));
    f.rsa = mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA;
    try {
        f.key_type = glue::key_type_of(pk);
    } catch (const Error&) {
        f.key_type = std::nullopt;
    }

    try {
        if (auto ku = find_extension(crt.ctx, "2.5.29.15")) {
            f.key_usage_present = true;
            f.key_usage_critical = ku->critical;
            f.digital_signature = mbedtls_x509_crt_check_key_usage(&crt.ctx, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) == 0;
            f.non_repudiation = mbedtls_x509_crt_check_key_usage(&crt.ctx, MBEDTLS_X509_KU_NON_REPUDIATION) == 0;
            f.key_encipherment = mbedtls_x509_crt_check_key_usage(&crt.ctx, MBEDTLS_X509_KU_KEY_ENCIPHERMENT) == 0;
            f.key_cert_sign = mbedtls_x509_crt_check_key_usage(&crt.ctx, MBEDTLS_X509_KU_KEY_CERT_SIGN) == 0;
        }
        if (auto cp = find_extension(crt.ctx, kOidCertificatePolicies)) f.policy_oids = parse_policies(cp->value);
    } catch (const der::Malformed& e) {
        throw Error(ErrorCode::InvalidArgument, std::string("certificate extensions: ") + e.what());
    }
    std::optional<Extension> qc;
    try {
        qc = find_extension(crt.ctx, kOidQcStatements);
    } catch (const der::Malformed& e) {
        throw Error(ErrorCode::InvalidArgument, std::string("certificate extensions: ") + e.what());
    }
    if (qc) f.qc = parse_qc_statements_extension(qc->value);
    return f;
}

}  // namespace qscd
