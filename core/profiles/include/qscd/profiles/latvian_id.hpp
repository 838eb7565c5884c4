// Latvian eID card, IDEMIA v2, RSA-2048 keys; simulated (qscd sim create --card latvian-id).
//
// Sources (facts only; no code taken):
//  [W]  web-eid libelectronic-id src/electronic-ids/pcsc/LatEIDIDEMIAv2.cpp/.hpp and its base EIDIDEMIA.cpp
//       (AIDs, the two MSE SET forms, PIN1 01, padding FF to 12, PIN lengths 4-12 / 6-12, RS256 only,
//       INTERNAL AUTHENTICATE with the DigestInfo, the IDEMIA GET DATA retry query)
//  [R]  /work/shared/reference/eid-cards.md (ATR; certificates found through PKCS#15 5031 -> 7005, selected by
//       FID; PSO:CDS takes the bare SHA-256 hash and the card adds the DigestInfo)
// Re-read for issue 13 ([W] EIDIDEMIA.cpp, current): the IDEMIA base class signs with SELECT ADF2, MSE SET
// 00 22 41 B6 06 80 01 42 84 01 <key> for an RSA key, VERIFY 85 padded with FF, then PSO:CDS with the bare hash
// (only an EC hash is padded to 48); it authenticates with SELECT ADF1, MSE SET A4 80 01 02, VERIFY 01 and
// INTERNAL AUTHENTICATE with the DigestInfo; tries from the IDEMIA GET DATA. PIN2 85 is that base class's
// constant. The key references come from LatEIDIDEMIAv2's own reading of the card in current versions, which
// the stored sources do not show (the stored LatEIDIDEMIAv2.cpp is the 2022 one with the fixed MSE forms).
// Unconfirmed: the DF identifiers AD F1 / AD F2 (the certificates are found by PKCS#15 and selected by FID);
// PIN2 reference 85 and PUK 02 (taken from the Estonian IDEMIA card); 3 tries; the key references 81 / 9F
// (newer libelectronic-id reads them from the PrKDF); the certificate EF sizes.
#pragma once

#include <array>

#include "qscd/profiles/card_profile.hpp"
#include "qscd/profiles/estonian_id.hpp"

namespace qscd::profiles::latvian_id {

inline constexpr std::array<std::uint8_t, 22> kAtr = {0x3B, 0xDB, 0x96, 0x00, 0x80, 0xB1, 0xFE, 0x45, 0x1F, 0x83, 0x00,
                                                      0x12, 0x42, 0x8F, 0x53, 0x65, 0x49, 0x44, 0x0F, 0x90, 0x00, 0x20};
inline constexpr std::array<AtrPattern, 1> kAtrs = {AtrPattern{kAtr, {}}};

// [W] the IDEMIA base class: the same three applications as the Estonian card.
inline constexpr std::size_t kMf = 0, kAdf1 = 1, kAdf2 = 2;
inline constexpr std::array<Application, 3> kApplications = {
    Application{"MF (main application)", estonian_id::kMainAid, 0x3F00},
    Application{"ADF1 (authentication)", estonian_id::kAuthAid, 0xADF1},
    Application{"ADF2 (QSCD application)", estonian_id::kQscdAid, 0xADF2},
};

inline constexpr std::uint8_t kPin1Ref = 0x01, kPin2Ref = 0x85, kPukRef = 0x02;
inline constexpr std::array<std::uint8_t, 4> kDefaultPin1 = {'1', '2', '3', '4'};
inline constexpr std::array<std::uint8_t, 6> kDefaultPin2 = {'1', '2', '3', '4', '5', '6'};  // [R] test cards
inline constexpr std::array<std::uint8_t, 8> kDefaultPuk = {'1', '2', '3', '4', '5', '6', '7', '8'};
inline constexpr std::array<PinProfile, 3> kPins = {
    PinProfile{"PIN1", PinRole::Authentication, kPin1Ref, kMf, PinFormat{0xFF, 4, 12, 12}, 3, kPukRef, false, kDefaultPin1},
    PinProfile{"PIN2", PinRole::Signature, kPin2Ref, kAdf2, PinFormat{0xFF, 6, 12, 12}, 3, kPukRef, true, kDefaultPin2},
    PinProfile{"PUK", PinRole::Unblock, kPukRef, kMf, PinFormat{0xFF, 8, 12, 12}, 3, 0, false, kDefaultPuk},
};

// [W] 00 22 41 A4 06 80 01 02 84 01 81 and 00 22 41 B6 06 80 01 42 84 01 9F.
inline constexpr std::array<std::uint8_t, 6> kMseAuthData = {0x80, 0x01, 0x02, 0x84, 0x01, 0x81};
inline constexpr std::array<std::uint8_t, 6> kMseSignData = {0x80, 0x01, 0x42, 0x84, 0x01, 0x9F};
inline constexpr std::array<MseTemplate, 1> kMseAuth = {MseTemplate{0x41, 0xA4, kMseAuthData}};
inline constexpr std::array<MseTemplate, 1> kMseSign = {MseTemplate{0x41, 0xB6, kMseSignData}};

inline constexpr std::array<std::uint8_t, 1> kSha256 = {32};
inline constexpr std::size_t kAuthCertFile = 0, kSignCertFile = 1;
inline constexpr std::array<KeyProfile, 2> kKeys = {
    // [W] INTERNAL AUTHENTICATE with the DigestInfo (51 bytes for SHA-256), PKCS#1 v1.5 block back.
    KeyProfile{"authentication key", KeyRole::Authentication, 0x81, kAdf1, KeyAlgorithm::Rsa2048, kPin1Ref, kMseAuth,
               SignatureRequest::InternalAuthenticate, SignatureEncoding::Pkcs1v15, 51, true, kSha256, kAuthCertFile},
    // [R] PSO:CDS with the bare SHA-256 hash; the card adds the DigestInfo.
    KeyProfile{"signature key", KeyRole::Signature, 0x9F, kAdf2, KeyAlgorithm::Rsa2048, kPin2Ref, kMseSign,
               SignatureRequest::PsoCdsWithHash, SignatureEncoding::Pkcs1v15, 32, false, kSha256, kSignCertFile},
};

inline constexpr std::array<FileProfile, 2> kFiles = {
    FileProfile{"authentication certificate", FileKind::Certificate, estonian_id::kAuthCertPath, 0x0800},
    FileProfile{"signature certificate", FileKind::Certificate, estonian_id::kSignCertPath, 0x0800},
};

inline constexpr CardProfile kProfile{
    CardType::LatvianId, "latvian-id", "Latvian eID card (IDEMIA v2)",
    kAtrs, kApplications, kPins, kKeys, kFiles,
    RetryReporting::GetDataIdemia, false, 0xB5, true,
};

}  // namespace qscd::profiles::latvian_id
