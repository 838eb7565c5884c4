#include <catch2/catch.hpp>

#include <cctype>

#include "qscd/error.hpp"
#include "qscd/signing/hashing.hpp"
#include "signing_test_support.hpp"

using namespace qscd;

namespace {
std::string hex(ByteView b) { return to_hex(b, ""); }
}  // namespace

TEST_CASE("hash_bytes matches the FIPS 180-4 test vectors", "[signing][hashing]") {
    CHECK(hex(hash_bytes(HashAlgorithm::Sha256, as_bytes("abc"))) ==
          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
    CHECK(hex(hash_bytes(HashAlgorithm::Sha256, {})) ==
          "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    CHECK(hex(hash_bytes(HashAlgorithm::Sha384, as_bytes("abc"))) ==
          "CB00753F45A35E8BB5A03D699AC65007272C32AB0EDED1631A8B605A43FF5BED8086072BA1E7CC2358BAECA134C825A7");
    CHECK(hex(hash_bytes(HashAlgorithm::Sha512, as_bytes("abc"))) ==
          "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992A274FC1A836BA3C23A3FEEBBD"
          "454D4423643CE80E2A9AC94FA54CA49F");
}

TEST_CASE("Hasher streams and restarts after finish", "[signing][hashing]") {
    Hasher h(HashAlgorithm::Sha256);
    h.update(as_bytes("a"));
    h.update({});
    h.update(as_bytes("bc"));
    CHECK(h.finish() == hash_bytes(HashAlgorithm::Sha256, as_bytes("abc")));
    h.update(as_bytes("abc"));  // fresh start after finish
    CHECK(h.finish() == hash_bytes(HashAlgorithm::Sha256, as_bytes("abc")));
    CHECK(h.finish() == hash_bytes(HashAlgorithm::Sha256, {}));
}

TEST_CASE("hash_file streams a multi-chunk file and equals the one-shot hash", "[signing][hashing]") {
    test::TempDir dir;
    Bytes data(5 * 1024 * 1024 + 12345);  // 5 MB, not a multiple of the 64 KiB chunk
    std::mt19937 rng(42);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    test::write_file(dir / "big.bin", data);
    for (HashAlgorithm h : {HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512})
        CHECK(hash_file(h, dir / "big.bin") == hash_bytes(h, data));

    test::write_file(dir / "empty.bin", {});
    CHECK(hash_file(HashAlgorithm::Sha256, dir / "empty.bin") == hash_bytes(HashAlgorithm::Sha256, {}));

    // Cross-check with openssl for the big file.
    auto r = test::run("openssl dgst -sha256 -r " + test::q(dir / "big.bin"));
    REQUIRE(r.status == 0);
    std::string ours = to_hex(hash_file(HashAlgorithm::Sha256, dir / "big.bin"), "");
    for (auto& c : ours) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(r.output.substr(0, 64) == ours);
}

TEST_CASE("hash_file reports a missing file as IoError naming it", "[signing][hashing]") {
    try {
        hash_file(HashAlgorithm::Sha256, "/nonexistent/qscd-no-such-file.txt");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::IoError);
        CHECK(std::string(e.what()).find("qscd-no-such-file.txt") != std::string::npos);
    }
}

TEST_CASE("digest_info is the PKCS#1 prefix followed by the digest", "[signing][hashing]") {
    Bytes d = hash_bytes(HashAlgorithm::Sha256, as_bytes("abc"));
    Bytes di = digest_info(HashAlgorithm::Sha256, d);
    CHECK(hex(ByteView(di).first(19)) == "3031300D060960864801650304020105000420");
    CHECK(Bytes(di.begin() + 19, di.end()) == d);
    CHECK(digest_info(HashAlgorithm::Sha384, hash_bytes(HashAlgorithm::Sha384, {})).size() == 19 + 48);
    CHECK(digest_info(HashAlgorithm::Sha512, hash_bytes(HashAlgorithm::Sha512, {})).size() == 19 + 64);
    CHECK_THROWS_AS(digest_info(HashAlgorithm::Sha384, d), Error);
}
