// Estonian ID card, IDEMIA (issued December 2018 - 2025), ECDSA P-384 keys.
//
// Sources (facts only; no code taken):
//  [O]  OpenSC src/libopensc/card-esteid2018.c, pkcs15-esteid2018.c (ATRs, AID, references, MSE forms, PIN
//       format, GET DATA retry query and where its answer holds the tries, paths, D003 document number)
//  [W]  web-eid libelectronic-id src/electronic-ids/pcsc/EIDIDEMIA.cpp, EstEIDIDEMIA.cpp, pcsc-common.hpp
//       (SELECT forms, the short MSE SET forms, VERIFY padding, READ BINARY Le 0xB5, max tries at byte 10)
//  [R]  /work/shared/reference/eid-cards.md (project notes collected from [O] and [W])
// Unconfirmed (no written source): the certificate EF sizes; that the card refuses a hash that is not 48
// bytes (OpenSC and our host always pad to 48); whether it answers an empty VERIFY; the RESET RETRY
// COUNTER forms after a PUK VERIFY (P1 02/03 follow ISO 7816-4 as OpenSC builds them); that the PIN2
// verification is good for one signature only.
#pragma once

#include <array>

#include "qscd/profiles/card_profile.hpp"

namespace qscd::profiles::estonian_id {

// [O] esteid_atrs, [R]: the 2018 card and its second variant.
inline constexpr std::array<std::uint8_t, 22> kAtr2018 = {0x3B, 0xDB, 0x96, 0x00, 0x80, 0xB1, 0xFE, 0x45,
                                                          0x1F, 0x83, 0x00, 0x12, 0x23, 0x3F, 0x53, 0x65,
                                                          0x49, 0x44, 0x0F, 0x90, 0x00, 0xF1};
inline constexpr std::array<std::uint8_t, 23> kAtr2018b = {0x3B, 0xDC, 0x96, 0x00, 0x80, 0xB1, 0xFE, 0x45,
                                                           0x1F, 0x83, 0x00, 0x12, 0x23, 0x3F, 0x54, 0x65,
                                                           0x49, 0x44, 0x32, 0x0F, 0x90, 0x00, 0xC3};
inline constexpr std::array<AtrPattern, 2> kAtrs = {AtrPattern{kAtr2018, {}}, AtrPattern{kAtr2018b, {}}};

// [O] IASECC_AID, [W] MAIN_AID: the main application, which acts as the MF (3F00).
inline constexpr std::array<std::uint8_t, 16> kMainAid = {0xA0, 0x00, 0x00, 0x00, 0x77, 0x01, 0x08, 0x00,
                                                          0x07, 0x00, 0x00, 0xFE, 0x00, 0x00, 0x01, 0x00};
// [W] AWP AID: authentication application, DF AD F1 ([O] path 3F00:ADF1).
inline constexpr std::array<std::uint8_t, 13> kAuthAid = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xF2, 0x50,
                                                          0x4F, 0x54, 0x20, 0x41, 0x57, 0x50};
// [W] QSCD AID ("QSCD Application"): signature application, DF AD F2 ([O] path 3F00:ADF2).
inline constexpr std::array<std::uint8_t, 16> kQscdAid = {0x51, 0x53, 0x43, 0x44, 0x20, 0x41, 0x70, 0x70,
                                                          0x6C, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6F, 0x6E};

inline constexpr std::size_t kMf = 0, kAdf1 = 1, kAdf2 = 2;
inline constexpr std::array<Application, 3> kApplications = {
    Application{"MF (main application)", kMainAid, 0x3F00},
    Application{"ADF1 (authentication)", kAuthAid, 0xADF1},
    Application{"ADF2 (QSCD application)", kQscdAid, 0xADF2},
};

// [O] pkcs15-esteid2018.c: ASCII numeric, pad FF, stored and max length 12; min 4 / 5 / 8; 3 tries;
// PIN1 (01) and PUK (02) in 3F00, PIN2 (85, local) in 3F00:ADF2; PIN1 and PIN2 unblocked by the PUK.
// Defaults of the simulated card: issue 13 (1234 / 12345 / 17258403).
inline constexpr std::uint8_t kPin1Ref = 0x01, kPin2Ref = 0x85, kPukRef = 0x02;
inline constexpr std::array<std::uint8_t, 4> kDefaultPin1 = {'1', '2', '3', '4'};
inline constexpr std::array<std::uint8_t, 5> kDefaultPin2 = {'1', '2', '3', '4', '5'};
inline constexpr std::array<std::uint8_t, 8> kDefaultPuk = {'1', '7', '2', '5', '8', '4', '0', '3'};
inline constexpr std::array<PinProfile, 3> kPins = {
    PinProfile{"PIN1", PinRole::Authentication, kPin1Ref, kMf, PinFormat{0xFF, 4, 12, 12}, 3, kPukRef, false, kDefaultPin1},
    PinProfile{"PIN2", PinRole::Signature, kPin2Ref, kAdf2, PinFormat{0xFF, 5, 12, 12}, 3, kPukRef, true, kDefaultPin2},
    PinProfile{"PUK", PinRole::Unblock, kPukRef, kMf, PinFormat{0xFF, 8, 12, 12}, 3, 0, false, kDefaultPuk},
};

// MSE SET: [W] 00 22 41 A4|B6 06 80 01 04|54 84 01 81|9F; [O] 00 22 41 A4|B6 09 80 04 FF 20|15 08 00 84 01 ...
inline constexpr std::array<std::uint8_t, 6> kMseAuthShort = {0x80, 0x01, 0x04, 0x84, 0x01, 0x81};
inline constexpr std::array<std::uint8_t, 9> kMseAuthOpenSc = {0x80, 0x04, 0xFF, 0x20, 0x08, 0x00, 0x84, 0x01, 0x81};
inline constexpr std::array<std::uint8_t, 6> kMseSignShort = {0x80, 0x01, 0x54, 0x84, 0x01, 0x9F};
inline constexpr std::array<std::uint8_t, 9> kMseSignOpenSc = {0x80, 0x04, 0xFF, 0x15, 0x08, 0x00, 0x84, 0x01, 0x9F};
inline constexpr std::array<MseTemplate, 2> kMseAuth = {MseTemplate{0x41, 0xA4, kMseAuthShort},
                                                        MseTemplate{0x41, 0xA4, kMseAuthOpenSc}};
inline constexpr std::array<MseTemplate, 2> kMseSign = {MseTemplate{0x41, 0xB6, kMseSignShort},
                                                        MseTemplate{0x41, 0xB6, kMseSignOpenSc}};

// [O] SIGNATURE_PAYLOAD_SIZE 0x30: the host left-pads the hash to 48 bytes; answer r||s (96 bytes).
inline constexpr std::array<std::uint8_t, 3> kHashSizes = {32, 48, 64};

inline constexpr std::size_t kAuthCertFile = 0, kSignCertFile = 1, kDocumentNumberFile = 2;
inline constexpr std::array<KeyProfile, 2> kKeys = {
    KeyProfile{"authentication key", KeyRole::Authentication, 0x81, kAdf1, KeyAlgorithm::EcP384, kPin1Ref, kMseAuth,
               SignatureRequest::InternalAuthenticate, SignatureEncoding::RawRS, 48, false, kHashSizes, kAuthCertFile},
    KeyProfile{"signature key", KeyRole::Signature, 0x9F, kAdf2, KeyAlgorithm::EcP384, kPin2Ref, kMseSign,
               SignatureRequest::PsoCdsWithHash, SignatureEncoding::RawRS, 48, false, kHashSizes, kSignCertFile},
};

// [O] 3f00:adf1:3401, 3f00:adf2:341f, 3F00D003 (OpenSC reads 11 bytes and takes tag 04 as the document
// number). Sizes: (unconfirmed) large enough for a P-384 certificate.
inline constexpr std::array<std::uint8_t, 4> kAuthCertPath = {0xAD, 0xF1, 0x34, 0x01};
inline constexpr std::array<std::uint8_t, 4> kSignCertPath = {0xAD, 0xF2, 0x34, 0x1F};
inline constexpr std::array<std::uint8_t, 2> kDocumentNumberPath = {0xD0, 0x03};
inline constexpr std::array<FileProfile, 3> kFiles = {
    FileProfile{"authentication certificate", FileKind::Certificate, kAuthCertPath, 0x0800},
    FileProfile{"signature certificate", FileKind::Certificate, kSignCertPath, 0x0800},
    FileProfile{"document number", FileKind::DocumentNumber, kDocumentNumberPath, 0x0020},
};

inline constexpr CardProfile kProfile{
    CardType::EstonianId, "estonian-id", "Estonian ID card (IDEMIA 2018)",
    kAtrs, kApplications, kPins, kKeys, kFiles,
    RetryReporting::GetDataIdemia, false, 0xB5, true,
};

}  // namespace qscd::profiles::estonian_id
