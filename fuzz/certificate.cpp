// Certificate parsing: summary (certificate_info), QCStatements / certificate facts (qc_statements,
// ETSI EN 319 412-5) and signing policy evaluation on arbitrary DER. Every path must end in a value
// or qscd::Error; evaluate_signing_policy never throws and always reports its ten rules.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "attempt.hpp"
#include "qscd/certificate_info.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/qc_statements.hpp"
#include "qscd/signing_policy.hpp"

using namespace qscd;
using qscd::fuzz::attempt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto now = std::chrono::system_clock::now();
    const ByteView der(data, size);

    attempt([&] { summarize_certificate(der); });
    attempt([&] { facts_of(der); });
    attempt([&] { key_type_of_spki(der); });
    std::string why;
    (void)parse_qc_statements(der, &why);
    // The same bytes as a bare extension value and as OID content octets.
    attempt([&] { parse_qc_statements_extension(der); });
    attempt([&] { decode_oid(der.first(std::min<std::size_t>(size, 40))); });

    for (SignatureLevel level : {SignatureLevel::Qes, SignatureLevel::Ades, SignatureLevel::Basic}) {
        const SigningPolicy policy = SigningPolicy::for_level(level);
        const auto findings = evaluate_signing_policy(policy, der, KeyType::EcP256, HashAlgorithm::Sha256, now);
        if (findings.size() != 10) {
            std::fprintf(stderr, "certificate: %zu policy findings, expected 10\n", findings.size());
            std::abort();
        }
    }
    attempt([&] { check_signing_policy(SigningPolicy::for_level(SignatureLevel::Qes), der, KeyType::EcP256,
                                       HashAlgorithm::Sha256, now); });
    return 0;
}
