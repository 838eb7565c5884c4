// Algorithms a key handle can carry and the signing core can use.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qscd {

enum class HashAlgorithm { Sha256, Sha384, Sha512 };
enum class KeyType { Rsa2048, Rsa3072, Rsa4096, EcP256, EcP384 };
enum class SignatureScheme { RsaPkcs1v15, RsaPss, Ecdsa };

std::size_t digest_size(HashAlgorithm hash);
const char* to_string(HashAlgorithm hash);
const char* to_string(KeyType type);
const char* to_string(SignatureScheme scheme);
std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view name);  // "sha256" ...
// CLI names: p256 p384 rsa2048 rsa3072 rsa4096
std::optional<KeyType> parse_key_type(std::string_view name);
const char* cli_name(KeyType type);

bool is_rsa(KeyType type);
unsigned key_bits(KeyType type);
// Field size in bytes for EC keys (r and s are each this long in the card's r‖s output).
std::size_t ec_field_size(KeyType type);
// The hash a key naturally pairs with: SHA-384 for P-384, SHA-256 otherwise.
HashAlgorithm default_hash(KeyType type);

}  // namespace qscd
