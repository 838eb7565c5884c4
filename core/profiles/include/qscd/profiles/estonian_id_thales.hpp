// Estonian ID card, Thales (issued from December 2025), ECDSA P-384 keys. PROFILE DATA ONLY: the simulator does
// not make this card yet.
//
// Sources (facts only; no code taken):
//  [O25] OpenSC src/libopensc/card-esteid2025.c, pkcs15-esteid2025.c (ATR; PKCS#15 AID selected to match and
//        to log out; SELECT 00 A4 08 04 <path from the MF> with FCP; document number DFDD/5007, 9 alphanumeric
//        bytes; certificates ADF1/3411 and ADF2/3421; PIN1 81, PIN2 82, PUK 83, all local, 4/5/8-12 digits
//        padded with 00 to 12, 3 tries; keys 01 (authentication) and 05 (signature); MSE SET 00 22 41 B6 06
//        80 01 54 84 01 <key> for both keys; PSO:HASH 00 2A 90 A0 32 90 30 <hash left-padded to 48> then
//        PSO:CDS 00 2A 9E 9A (Le 60); GET DATA 00 CB 00 FF 05 A0 03 83 01 <ref>: A0 ... DF21 <tries>, DF2F 00 =
//        the PIN must be changed). The issuer's guide OpenSC cites: id.ee "TDC EST eID developer guide" (2025).
// Unconfirmed: which DF each PIN and key lives in (here PIN1 and the authentication key in ADF1, PIN2 and the
// signature key in ADF2, the PUK in the MF); that the PKCS#15 AID selects the MF; the AIDs of ADF1 / ADF2
// (none recorded); the READ BINARY limit; the certificate EF sizes.
#pragma once

#include <array>

#include "qscd/profiles/card_profile.hpp"
#include "qscd/profiles/finnish_id.hpp"

namespace qscd::profiles::estonian_id_thales {

inline constexpr std::array<std::uint8_t, 25> kAtr = {0x3B, 0xFF, 0x96, 0x00, 0x00, 0x80, 0x31, 0xFE, 0x43,
                                                      0x80, 0x31, 0xB8, 0x53, 0x65, 0x49, 0x44, 0x64, 0xB0,
                                                      0x85, 0x05, 0x10, 0x12, 0x23, 0x3F, 0x1D};
inline constexpr std::array<AtrPattern, 1> kAtrs = {AtrPattern{kAtr, {}}};

inline constexpr std::size_t kMf = 0, kAdf1 = 1, kAdf2 = 2, kDfdd = 3;
inline constexpr std::array<Application, 4> kApplications = {
    Application{"MF (PKCS#15 application)", finnish_id::kPkcs15Aid, 0x3F00},
    Application{"ADF1 (authentication)", {}, 0xADF1},
    Application{"ADF2 (signature)", {}, 0xADF2},
    Application{"DF DD (document data)", {}, 0xDFDD},
};

inline constexpr std::uint8_t kPin1Ref = 0x81, kPin2Ref = 0x82, kPukRef = 0x83;
inline constexpr std::array<std::uint8_t, 4> kDefaultPin1 = {'1', '2', '3', '4'};
inline constexpr std::array<std::uint8_t, 5> kDefaultPin2 = {'1', '2', '3', '4', '5'};
inline constexpr std::array<std::uint8_t, 8> kDefaultPuk = {'1', '7', '2', '5', '8', '4', '0', '3'};
inline constexpr std::array<PinProfile, 3> kPins = {
    PinProfile{"PIN1", PinRole::Authentication, kPin1Ref, kAdf1, PinFormat{0x00, 4, 12, 12}, 3, kPukRef, false, kDefaultPin1},
    PinProfile{"PIN2", PinRole::Signature, kPin2Ref, kAdf2, PinFormat{0x00, 5, 12, 12}, 3, kPukRef, true, kDefaultPin2},
    PinProfile{"PUK", PinRole::Unblock, kPukRef, kMf, PinFormat{0x00, 8, 12, 12}, 3, 0, false, kDefaultPuk},
};

inline constexpr std::array<std::uint8_t, 6> kMseAuthData = {0x80, 0x01, 0x54, 0x84, 0x01, 0x01};
inline constexpr std::array<std::uint8_t, 6> kMseSignData = {0x80, 0x01, 0x54, 0x84, 0x01, 0x05};
inline constexpr std::array<MseTemplate, 1> kMseAuth = {MseTemplate{0x41, 0xB6, kMseAuthData}};
inline constexpr std::array<MseTemplate, 1> kMseSign = {MseTemplate{0x41, 0xB6, kMseSignData}};

inline constexpr std::array<std::uint8_t, 3> kHashSizes = {32, 48, 64};
inline constexpr std::size_t kAuthCertFile = 0, kSignCertFile = 1, kDocumentNumberFile = 2;
inline constexpr std::array<KeyProfile, 2> kKeys = {
    KeyProfile{"authentication key", KeyRole::Authentication, 0x01, kAdf1, KeyAlgorithm::EcP384, kPin1Ref, kMseAuth,
               SignatureRequest::PsoHashThenCds, SignatureEncoding::RawRS, 48, false, kHashSizes, kAuthCertFile},
    KeyProfile{"signature key", KeyRole::Signature, 0x05, kAdf2, KeyAlgorithm::EcP384, kPin2Ref, kMseSign,
               SignatureRequest::PsoHashThenCds, SignatureEncoding::RawRS, 48, false, kHashSizes, kSignCertFile},
};

inline constexpr std::array<std::uint8_t, 4> kAuthCertPath = {0xAD, 0xF1, 0x34, 0x11};
inline constexpr std::array<std::uint8_t, 4> kSignCertPath = {0xAD, 0xF2, 0x34, 0x21};
inline constexpr std::array<std::uint8_t, 4> kDocumentNumberPath = {0xDF, 0xDD, 0x50, 0x07};
inline constexpr std::array<FileProfile, 3> kFiles = {
    FileProfile{"authentication certificate", FileKind::Certificate, kAuthCertPath, 0x0800},
    FileProfile{"signature certificate", FileKind::Certificate, kSignCertPath, 0x0800},
    FileProfile{"document number", FileKind::DocumentNumber, kDocumentNumberPath, 0x0009},
};

inline constexpr CardProfile kProfile{
    CardType::EstonianIdThales, "estonian-id-2025", "Estonian ID card (Thales 2025)",
    kAtrs, kApplications, kPins, kKeys, kFiles,
    RetryReporting::GetDataFineid, false, 0xB5, false,
};

}  // namespace qscd::profiles::estonian_id_thales
