#include "der.hpp"

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>

#include <algorithm>
#include <cstdio>

namespace qscd::der {
namespace {

#define QSCD_OIDV(literal) oid_bytes(literal, sizeof(literal) - 1)

}  // namespace

ByteView digest_oid(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::Sha256: return QSCD_OIDV(MBEDTLS_OID_DIGEST_ALG_SHA256);
        case HashAlgorithm::Sha384: return QSCD_OIDV(MBEDTLS_OID_DIGEST_ALG_SHA384);
        case HashAlgorithm::Sha512: return QSCD_OIDV(MBEDTLS_OID_DIGEST_ALG_SHA512);
    }
    return {};
}

ByteView rsa_signature_oid(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::Sha256: return QSCD_OIDV(MBEDTLS_OID_PKCS1_SHA256);
        case HashAlgorithm::Sha384: return QSCD_OIDV(MBEDTLS_OID_PKCS1_SHA384);
        case HashAlgorithm::Sha512: return QSCD_OIDV(MBEDTLS_OID_PKCS1_SHA512);
    }
    return {};
}

ByteView ecdsa_signature_oid(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::Sha256: return QSCD_OIDV(MBEDTLS_OID_ECDSA_SHA256);
        case HashAlgorithm::Sha384: return QSCD_OIDV(MBEDTLS_OID_ECDSA_SHA384);
        case HashAlgorithm::Sha512: return QSCD_OIDV(MBEDTLS_OID_ECDSA_SHA512);
    }
    return {};
}

std::optional<HashAlgorithm> hash_of_digest_oid(ByteView oid) {
    for (HashAlgorithm h : {HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512})
        if (std::ranges::equal(oid, digest_oid(h))) return h;
    return std::nullopt;
}

Bytes tlv(std::uint8_t tag, ByteView content) {
    // mbedtls_asn1_write_* write backwards from the end of a buffer.
    unsigned char header[16] = {};
    unsigned char* p = header + sizeof header;
    int n = mbedtls_asn1_write_len(&p, header, content.size());
    if (n < 0 || mbedtls_asn1_write_tag(&p, header, tag) < 0) throw std::length_error("DER element too long");
    Bytes out(p, header + sizeof header);
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

Bytes join(std::initializer_list<ByteView> parts) {
    Bytes out;
    for (ByteView part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

Bytes seq(std::initializer_list<ByteView> parts) { return tlv(kSequence, join(parts)); }

Bytes time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto secs = floor<seconds>(t);
    auto day = floor<days>(secs);
    year_month_day ymd(day);
    hh_mm_ss hms(secs - day);
    int y = static_cast<int>(ymd.year());
    char buf[32];
    bool utc = y >= 1950 && y < 2050;
    std::snprintf(buf, sizeof buf, utc ? "%02d%02u%02u%02d%02d%02dZ" : "%04d%02u%02u%02d%02d%02dZ", utc ? y % 100 : y,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return tlv(utc ? kUtcTime : kGeneralizedTime, as_bytes(buf));
}

Bytes set_of(std::vector<Bytes> elements) {
    // Compare as if the shorter were padded with trailing zero octets (X.690 §11.6).
    std::sort(elements.begin(), elements.end(), [](const Bytes& a, const Bytes& b) {
        std::size_t n = std::max(a.size(), b.size());
        for (std::size_t i = 0; i < n; ++i) {
            std::uint8_t x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
            if (x != y) return x < y;
        }
        return false;
    });
    Bytes content;
    for (const Bytes& e : elements) content.insert(content.end(), e.begin(), e.end());
    return tlv(kSet, content);
}

ByteView Reader::read(std::uint8_t tag, const char* what, ByteView* whole) {
    if (!peek(tag)) {
        if (at_end()) throw Malformed(std::string(what) + ": missing (truncated)");
        char got[8];
        std::snprintf(got, sizeof got, "%02X", *p_);
        char want[8];
        std::snprintf(want, sizeof want, "%02X", tag);
        throw Malformed(std::string(what) + ": expected tag " + want + ", found " + got);
    }
    std::uint8_t actual = 0;
    return read_any(&actual, what, whole);
}

ByteView Reader::read_any(std::uint8_t* tag, const char* what, ByteView* whole) {
    if (at_end()) throw Malformed(std::string(what) + ": missing (truncated)");
    const std::uint8_t* start = p_;
    unsigned char* p = const_cast<unsigned char*>(p_);  // mbedtls takes non-const but does not write
    *tag = *p++;
    if ((*tag & 0x1f) == 0x1f) throw Malformed(std::string(what) + ": multi-byte tag not expected");
    std::size_t len = 0;
    // get_len rejects lengths that run past end and the indefinite form.
    if (mbedtls_asn1_get_len(&p, end_, &len) != 0) throw Malformed(std::string(what) + ": bad length (truncated?)");
    ByteView content(p, len);
    p_ = p + len;
    if (whole) *whole = ByteView(start, static_cast<std::size_t>(p_ - start));
    return content;
}

void Reader::expect_end(const char* what) const {
    if (!at_end()) throw Malformed(std::string(what) + ": unexpected trailing data");
}

std::optional<std::chrono::system_clock::time_point> parse_time(std::uint8_t tag, ByteView c) {
    using namespace std::chrono;
    std::size_t year_digits = tag == kUtcTime ? 2 : tag == kGeneralizedTime ? 4 : 0;
    if (year_digits == 0 || c.size() != year_digits + 11 || c.back() != 'Z') return std::nullopt;
    for (std::size_t i = 0; i + 1 < c.size(); ++i)
        if (c[i] < '0' || c[i] > '9') return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t n) {
        int v = 0;
        for (std::size_t i = 0; i < n; ++i) v = v * 10 + (c[pos + i] - '0');
        return v;
    };
    int y = num(0, year_digits);
    if (tag == kUtcTime) y += y < 50 ? 2000 : 1900;  // RFC 5280 §4.1.2.5.1
    std::size_t o = year_digits;
    int mo = num(o, 2), d = num(o + 2, 2), h = num(o + 4, 2), mi = num(o + 6, 2), s = num(o + 8, 2);
    year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
    return sys_days(ymd) + hours(h) + minutes(mi) + seconds(s);
}

int small_integer(ByteView content, const char* what) {
    if (content.empty() || content.size() > 2) throw Malformed(std::string(what) + ": invalid INTEGER");
    int v = 0;
    for (std::uint8_t b : content) v = v * 256 + b;
    if (content[0] & 0x80) throw Malformed(std::string(what) + ": negative INTEGER");
    return v;
}

}  // namespace qscd::der
