// A readable summary of an X.509 certificate, for `qscd info` and verification reports.
#pragma once

#include <string>

#include "qscd/codec/bytes.hpp"

namespace qscd {

struct CertificateSummary {
    std::string subject;     // "C=XX, O=qscd TEST, CN=alice (TEST)"
    std::string issuer;
    std::string serial;      // hex
    std::string not_before;  // "2026-11-23 10:00:00" UTC
    std::string not_after;
};

// Throws Error(InvalidArgument) when `der` is not a certificate.
CertificateSummary summarize_certificate(ByteView der);

}  // namespace qscd
