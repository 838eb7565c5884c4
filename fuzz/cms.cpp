// CMS / CAdES-B-B verification (core/src/signing/cades_verify.cpp) on arbitrary bytes. It must
// return a report, never throw (the trust anchor is valid and the digest callback cannot fail), and
// the report must be coherent: valid ⇔ no problems ⇔ indication VALID, and valid only with every check passed.
// The trust anchor is the test root that signed the seeds (fuzz/data/cms_root.der, from make_seeds),
// and the "document" is the fixed text the seeds signed, so seeds reach the chain and digest checks.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/hashing.hpp"

using namespace qscd;

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "cms invariant violated: %s\n", what);
    std::abort();
}

std::vector<Bytes> load_anchors() {
    std::ifstream in(QSCD_FUZZ_DATA_DIR "/cms_root.der", std::ios::binary);
    Bytes der((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (der.empty()) return {};
    return {der};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<Bytes> anchors = load_anchors();
    static const auto now = std::chrono::system_clock::now();
    const auto digest = [](HashAlgorithm h) { return hash_bytes(h, as_bytes("qscd fuzz document")); };

    const VerificationReport r = verify_cades_detached(ByteView(data, size), digest, anchors, now);
    bool all = r.parse.ok && !r.signers.empty();
    for (const SignerReport& s : r.signers) {
        const bool signer_all = s.algorithm.ok && s.signature.ok && s.message_digest.ok && s.content_type.ok &&
                                s.signing_certificate.ok && s.signing_time.ok && s.certificate_validity.ok &&
                                s.key_usage.ok && (!s.chain_checked || (s.chain.ok && s.revocation.ok));
        if (s.valid && !signer_all) violated("signer valid with a failed check");
        if (s.valid != s.problems.empty()) violated("signer valid disagrees with its problem list");
        all = all && signer_all;
    }
    if (r.valid && !all) violated("valid with a failed check");
    if (r.valid != r.problems.empty()) violated("valid disagrees with the problem list");
    if (r.valid != (r.indication == Indication::Valid)) violated("valid disagrees with the indication");
    return 0;
}
