// Card profiles as data (issue 13): what one ISO 7816-4/-8 signature-application driver and the simulated
// cards need to know about a national ID card. Firmware-compatible: constexpr structs over static
// arrays; no exceptions, no RTTI, no heap. Used by the simulator (simulator/card) and the host driver.
//
// Every byte string is given as the card puts it on the wire. Facts and their sources are listed next to
// each profile (estonian_id.hpp ...); "(unconfirmed)" marks what no written source confirmed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace qscd::profiles {

using Bytes = std::span<const std::uint8_t>;

// The card application a simulated token runs; recorded in the simulator's state file.
enum class CardType : std::uint8_t {
    OpenPgp = 0,     // the OpenPGP card 3.4 test card (not a profile of this library)
    EstonianId = 1,  // Estonian ID card, IDEMIA, issued 2018-2025
    LatvianId = 2,   // Latvian eID card, IDEMIA v2
    FinnishIdV4 = 3, // Finnish ID card, FinEID v4
    EstonianIdThales = 4,  // Estonian ID card, Thales, issued from December 2025 (profile data only)
};

// ATR with a mask: a card matches when (atr[i] & mask[i]) == (pattern[i] & mask[i]) for every byte,
// and the lengths agree. An empty mask means "every bit counts".
struct AtrPattern {
    Bytes atr;
    Bytes mask;
};

enum class KeyAlgorithm : std::uint8_t { EcP256, EcP384, Rsa2048 };

// How the host asks for a signature.
enum class SignatureRequest : std::uint8_t {
    PsoCdsWithHash,        // PSO:COMPUTE DIGITAL SIGNATURE 00 2A 9E 9A <hash>
    PsoHashThenCds,        // PSO:HASH 00 2A 90 A0 90 <len> <hash>, then PSO:CDS 00 2A 9E 9A without data
    InternalAuthenticate,  // INTERNAL AUTHENTICATE 00 88 00 00 <input>
};

// What the card answers.
enum class SignatureEncoding : std::uint8_t {
    RawRS,     // r || s, each the field size (ECDSA)
    Der,       // ECDSA-Sig-Value SEQUENCE { r, s }
    Pkcs1v15,  // RSA PKCS#1 v1.5 signature block
};

// How the card reports a PIN's remaining tries.
enum class RetryReporting : std::uint8_t {
    GetDataIdemia,   // 00 CB 3F FF 0A 4D 08 70 06 BF 81 <ref & 0F> 02 A0 80 (00): 9A 01 <max>, 9B 01 <left>
    GetDataFineid,   // 00 CB 00 FF 05 A0 03 83 01 <ref> (00): A0 ... DF21 <tries> (Thales cards)
    EmptyVerify63Cx, // 00 20 00 <ref> (case 1): 63 Cx
};

enum class KeyRole : std::uint8_t { Authentication, Signature };
enum class PinRole : std::uint8_t { Authentication, Signature, Unblock };

// The card's PIN block: ASCII digits, padded with `pad_byte` to `stored_length` bytes.
struct PinFormat {
    std::uint8_t pad_byte = 0xFF;
    std::uint8_t min_length = 4;
    std::uint8_t max_length = 12;
    std::uint8_t stored_length = 12;  // the block sent in VERIFY etc.; 0 = unpadded
};

// A dedicated file: an application (DF with AID) or the MF.
struct Application {
    std::string_view name;
    Bytes aid;              // empty: not selectable by name
    std::uint16_t fid = 0;  // 3F00 for the MF
};

struct PinProfile {
    std::string_view name;       // as the card's documentation names it: PIN1, PIN2, PUK
    PinRole role = PinRole::Authentication;
    std::uint8_t reference = 0;  // P2 of VERIFY; b8 = 1: local to `application`
    std::size_t application = 0; // index into CardProfile::applications where it lives
    PinFormat format;
    std::uint8_t max_tries = 3;
    std::uint8_t unblocked_by = 0;  // reference of the PIN that unblocks this one (0: none)
    bool one_operation = false;  // the verification is good for one signature only (sole control)
    Bytes simulator_default;     // the simulated card's factory value (a TEST card; never a real card's)
};

// An MSE SET form the card accepts for a key: 00 22 <p1> <p2> <data>.
struct MseTemplate {
    std::uint8_t p1 = 0x41;
    std::uint8_t p2 = 0xB6;
    Bytes data;
    std::uint8_t hash_size = 0;  // the hash length this form announces (FinEID: algorithm byte 44/54/64); 0 = any
};

// How the host selects a certificate EF.
enum class FileSelection : std::uint8_t {
    MainThenRelative,  // SELECT applications[0], then 00 A4 09 0C <path> (the IDEMIA cards)
    AidThenMfPath,     // SELECT applications[CardProfile::file_application] by AID, then 00 A4 08 04 <path> 00 (FCP back)
};

struct KeyProfile {
    std::string_view name;
    KeyRole role = KeyRole::Signature;
    std::uint8_t reference = 0;       // key reference in MSE SET (tag 84)
    std::size_t application = 0;     // index into CardProfile::applications
    KeyAlgorithm algorithm = KeyAlgorithm::EcP384;
    std::uint8_t pin_reference = 0;   // the PIN that authorises it
    std::span<const MseTemplate> mse; // every form the card accepts (the first is what our host sends)
    SignatureRequest request = SignatureRequest::PsoCdsWithHash;
    SignatureEncoding encoding = SignatureEncoding::RawRS;
    std::uint8_t input_length = 0;    // exact input length the card takes (hash padded/truncated); 0 = any of hash_sizes
    bool digest_info = false;         // the input is a DigestInfo (RFC 8017 §9.2) around the hash, not the bare hash
    Bytes hash_sizes;                 // hash lengths the host may hand over (before padding to input_length)
    std::size_t certificate = 0;      // index into CardProfile::files
    std::uint8_t signature_le = 0;    // Le of the signature request (FinEID v4: 60 = 96 bytes); 0 sends 00
};

enum class FileKind : std::uint8_t { Certificate, DocumentNumber };

// A transparent EF, by its path from the MF (FIDs, without 3F00).
struct FileProfile {
    std::string_view name;
    FileKind kind = FileKind::Certificate;
    Bytes path;
    std::uint16_t max_size = 0;
};

struct CardProfile {
    CardType type = CardType::OpenPgp;
    std::string_view id;          // qscd sim create --card <id>
    std::string_view name;        // shown by qscd info / readers
    std::span<const AtrPattern> atrs;  // matching table (host); atrs[0].atr is what the simulated card presents
    std::span<const Application> applications;  // [0] is the MF (main application)
    std::span<const PinProfile> pins;
    std::span<const KeyProfile> keys;
    std::span<const FileProfile> files;
    RetryReporting retries = RetryReporting::GetDataIdemia;
    bool empty_verify = false;          // the card answers VERIFY without data (status query)
    std::uint16_t read_binary_max = 0;  // largest READ BINARY answer the host should ask for (0 = 256)
    bool simulated = false;             // qscd sim create --card can make one
    bool verify_before_mse = false;     // VERIFY precedes MSE SET in a signature (FinEID); else MSE SET first (IDEMIA)
    FileSelection file_selection = FileSelection::MainThenRelative;
    std::size_t file_application = 0;   // the application FileSelection::AidThenMfPath selects first
};

// ATR matching (masks applied); nullptr when no profile matches.
const CardProfile* find_by_atr(Bytes atr);
// By --card id ("estonian-id"); nullptr when unknown.
const CardProfile* find_by_id(std::string_view id);
// By the type recorded in a state file; nullptr for OpenPgp or an unknown value.
const CardProfile* find_by_type(CardType type);
// Every profile of this library.
std::span<const CardProfile* const> all_profiles();

bool atr_matches(const AtrPattern& pattern, Bytes atr);

// Index helpers (nullptr / npos when absent).
inline constexpr std::size_t npos = static_cast<std::size_t>(-1);
const PinProfile* find_pin(const CardProfile& profile, std::uint8_t reference);
const PinProfile* find_pin(const CardProfile& profile, PinRole role);
const KeyProfile* find_key(const CardProfile& profile, KeyRole role);
std::size_t index_of(const CardProfile& profile, const PinProfile& pin);
std::size_t index_of(const CardProfile& profile, const KeyProfile& key);

}  // namespace qscd::profiles
