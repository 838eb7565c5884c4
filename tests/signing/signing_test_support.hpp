// Helpers for the signing tests: a self-cleaning temp dir, running openssl, shared slow-to-make keys.
#pragma once

#include <catch2/catch.hpp>
#include <mbedtls/x509_crt.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "qscd/codec/bytes.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/test_ca.hpp"

namespace qscd::test {

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("qscd-signing-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, ByteView data) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline void write_text(const std::filesystem::path& path, const std::string& text) { write_file(path, as_bytes(text)); }

inline Bytes read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct CommandResult {
    int status = -1;
    std::string output;  // stdout and stderr
};

// Runs a shell command (arguments are our own temp paths, no user input); captures output.
inline CommandResult run(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return result;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) result.output.append(buf.data(), n);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

inline std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// RSA-2048 key generation takes a while and CTest runs every test case in its own process, so the
// key is made once and cached in the build tree (written atomically, so parallel runs are safe).
inline const SoftwareKey& rsa2048_key() {
    static SoftwareKey key = [] {
        std::filesystem::path cache = std::filesystem::path(QSCD_BINARY_DIR) / "signing-tests-rsa2048-key.pem";
        if (std::filesystem::exists(cache)) {
            try {
                return SoftwareKey::load_pem(cache);
            } catch (...) {
            }
        }
        SoftwareKey k = SoftwareKey::generate(KeyType::Rsa2048);
        k.save_pem(cache);
        return k;
    }();
    return key;
}

inline const SoftwareKey& key_of(KeyType type) {
    if (type == KeyType::Rsa2048) return rsa2048_key();
    static SoftwareKey p256 = SoftwareKey::generate(KeyType::EcP256);
    static SoftwareKey p384 = SoftwareKey::generate(KeyType::EcP384);
    return type == KeyType::EcP384 ? p384 : p256;
}

inline const TestCa& test_ca() {
    static TestCa ca = create_test_ca();
    return ca;
}

inline CertificateProfile alice() {
    CertificateProfile p;
    p.common_name = "Alice Example";
    p.given_name = "Alice";
    p.surname = "Example";
    p.serial_number = "PNOXX-1234567890";
    return p;
}

// The serialNumber INTEGER content of a DER certificate.
inline Bytes serial_of(const Bytes& cert) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    REQUIRE(mbedtls_x509_crt_parse_der(&crt, cert.data(), cert.size()) == 0);
    Bytes serial(crt.serial.p, crt.serial.p + crt.serial.len);
    mbedtls_x509_crt_free(&crt);
    return serial;
}

}  // namespace qscd::test
