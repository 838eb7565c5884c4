#include "qscd/certificate_info.hpp"

#include <mbedtls/x509_crt.h>

#include <cstdio>

#include "qscd/error.hpp"

namespace qscd {

namespace {
std::string format_time(const mbedtls_x509_time& t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", t.year, t.mon, t.day, t.hour, t.min, t.sec);
    return buf;
}
}  // namespace

CertificateSummary summarize_certificate(ByteView der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) != 0) {
        mbedtls_x509_crt_free(&crt);
        throw Error(ErrorCode::InvalidArgument, "not a valid X.509 certificate");
    }
    CertificateSummary s;
    char buf[1024];
    if (mbedtls_x509_dn_gets(buf, sizeof buf, &crt.subject) > 0) s.subject = buf;
    if (mbedtls_x509_dn_gets(buf, sizeof buf, &crt.issuer) > 0) s.issuer = buf;
    s.serial = to_hex(ByteView(crt.serial.p, crt.serial.len), "");
    s.not_before = format_time(crt.valid_from);
    s.not_after = format_time(crt.valid_to);
    mbedtls_x509_crt_free(&crt);
    return s;
}

}  // namespace qscd
