#include "qscd/algorithms.hpp"

namespace qscd {

std::size_t digest_size(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::Sha256: return 32;
        case HashAlgorithm::Sha384: return 48;
        case HashAlgorithm::Sha512: return 64;
    }
    return 0;
}

const char* to_string(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::Sha256: return "SHA-256";
        case HashAlgorithm::Sha384: return "SHA-384";
        case HashAlgorithm::Sha512: return "SHA-512";
    }
    return "?";
}

const char* to_string(KeyType type) {
    switch (type) {
        case KeyType::Rsa2048: return "RSA-2048";
        case KeyType::Rsa3072: return "RSA-3072";
        case KeyType::Rsa4096: return "RSA-4096";
        case KeyType::EcP256: return "ECDSA P-256";
        case KeyType::EcP384: return "ECDSA P-384";
    }
    return "?";
}

const char* to_string(SignatureScheme scheme) {
    switch (scheme) {
        case SignatureScheme::RsaPkcs1v15: return "RSA PKCS#1 v1.5";
        case SignatureScheme::RsaPss: return "RSA-PSS";
        case SignatureScheme::Ecdsa: return "ECDSA";
    }
    return "?";
}

std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view name) {
    if (name == "sha256" || name == "SHA-256") return HashAlgorithm::Sha256;
    if (name == "sha384" || name == "SHA-384") return HashAlgorithm::Sha384;
    if (name == "sha512" || name == "SHA-512") return HashAlgorithm::Sha512;
    return std::nullopt;
}

std::optional<KeyType> parse_key_type(std::string_view name) {
    for (KeyType t : {KeyType::Rsa2048, KeyType::Rsa3072, KeyType::Rsa4096, KeyType::EcP256, KeyType::EcP384})
        if (name == cli_name(t)) return t;
    return std::nullopt;
}

const char* cli_name(KeyType type) {
    switch (type) {
        case KeyType::Rsa2048: return "rsa2048";
        case KeyType::Rsa3072: return "rsa3072";
        case KeyType::Rsa4096: return "rsa4096";
        case KeyType::EcP256: return "p256";
        case KeyType::EcP384: return "p384";
    }
    return "?";
}

bool is_rsa(KeyType type) {
    return type == KeyType::Rsa2048 || type == KeyType::Rsa3072 || type == KeyType::Rsa4096;
}

unsigned key_bits(KeyType type) {
    switch (type) {
        case KeyType::Rsa2048: return 2048;
        case KeyType::Rsa3072: return 3072;
        case KeyType::Rsa4096: return 4096;
        case KeyType::EcP256: return 256;
        case KeyType::EcP384: return 384;
    }
    return 0;
}

std::size_t ec_field_size(KeyType type) {
    if (type == KeyType::EcP256) return 32;
    if (type == KeyType::EcP384) return 48;
    return 0;
}

HashAlgorithm default_hash(KeyType type) {
    return type == KeyType::EcP384 ? HashAlgorithm::Sha384 : HashAlgorithm::Sha256;
}

}  // namespace qscd
