// Finnish ID card, FinEID v4 (Thales), ECDSA P-384 keys. Simulated (qscd sim create --card finnish-id).
//
// Sources (facts only; no code taken):
//  [W]  web-eid libelectronic-id src/electronic-ids/pcsc/FinEID.cpp (re-read for issue 13): certificates read after
//       SELECT 00 A4 04 0C <PKCS#15 AID> with 00 A4 08 04 <path from the MF> 00 (pcsc-cpp selectEF), 4331
//       (authentication), 5016/4332 (v4 signature), 5016/4335 (v3); READ BINARY in blocks of 0xB5; key references 01
//       (authentication), 02 (v4 signature), 03 (v3 signature); PIN1 11 / PIN2 82 padded with 00 to 12; VERIFY
//       *before* MSE SET 00 22 41 B6 06 80 01 <04 | hash> 84 01 <key> (hash: 40 SHA-256, 50 SHA-384, 60 SHA-512);
//       PSO:HASH 00 2A 90 A0 <90 len hash> with the bare hash, then PSO:CDS 00 2A 9E 9A with Le 60 (v4, both
//       keys); GET DATA 00 CB 00 FF 05 A0 03 83 01 <ref> (Le 00 under T=1) with the tries at byte 20, 5 tries.
//  [R]  /work/shared/reference/eid-cards.md (v4 ATR; tries = the first byte of DF21; T=0 only)
//  [O25] OpenSC src/libopensc/card-esteid2025.c, which also drives FinEID: the v4 ATR as "FinEID 2022" and a
//       second one, "FinEID 2025"; the PKCS#15 AID to match; MSE SET 80 01 54; PSO:CDS Le 60; DF21 <tries>.
// Unconfirmed: where the keys and PIN2 live (here: the PKCS#15 application DF 5016, which [W] selects last
// before VERIFY); the PUK (no source names one: the profile has none, so a blocked PIN stays blocked); the
// GET DATA answer around DF21 (the simulator puts DF21 at byte 17 so the tries sit at byte 20 as [W] reads
// them); that the card refuses a PSO:HASH whose length differs from the MSE algorithm's hash; the certificate EF
// sizes; how the card answers case-4 commands under T=0. FinEID v3 (RSA-PSS authentication key) is not profiled.
#pragma once

#include <array>

#include "qscd/profiles/card_profile.hpp"

namespace qscd::profiles::finnish_id {

inline constexpr std::array<std::uint8_t, 20> kAtrV4 = {0x3B, 0x7F, 0x96, 0x00, 0x00, 0x80, 0x31, 0xB8, 0x65, 0xB0,
                                                        0x85, 0x05, 0x00, 0x11, 0x12, 0x24, 0x60, 0x82, 0x90, 0x00};
inline constexpr std::array<std::uint8_t, 20> kAtr2025 = {0x3B, 0x7F, 0x96, 0x00, 0x00, 0x80, 0x31, 0xB8, 0x65, 0xB0,
                                                          0x85, 0x05, 0x10, 0x24, 0x12, 0x24, 0x60, 0x82, 0x90, 0x00};
inline constexpr std::array<AtrPattern, 2> kAtrs = {AtrPattern{kAtrV4, {}}, AtrPattern{kAtr2025, {}}};

inline constexpr std::array<std::uint8_t, 12> kPkcs15Aid = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                                            0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
inline constexpr std::size_t kMf = 0, kPkcs15 = 1;
inline constexpr std::array<Application, 2> kApplications = {
    Application{"MF", {}, 0x3F00},
    Application{"PKCS#15 application", kPkcs15Aid, 0x5016},
};

inline constexpr std::uint8_t kPin1Ref = 0x11, kPin2Ref = 0x82;
inline constexpr std::array<std::uint8_t, 4> kDefaultPin1 = {'1', '2', '3', '4'};
inline constexpr std::array<std::uint8_t, 6> kDefaultPin2 = {'1', '2', '3', '4', '5', '6'};
// PIN1 11 is global (MF); PIN2 82 is local (b8 = 1), here in the PKCS#15 application (unconfirmed).
inline constexpr std::array<PinProfile, 2> kPins = {
    PinProfile{"PIN1", PinRole::Authentication, kPin1Ref, kMf, PinFormat{0x00, 4, 12, 12}, 5, 0, false, kDefaultPin1},
    PinProfile{"PIN2", PinRole::Signature, kPin2Ref, kPkcs15, PinFormat{0x00, 6, 12, 12}, 5, 0, true, kDefaultPin2},
};

// [W] 00 22 41 B6 06 80 01 <04 | hash> 84 01 <key>, for both keys.
inline constexpr std::array<std::uint8_t, 6> kMseAuth256 = {0x80, 0x01, 0x44, 0x84, 0x01, 0x01};
inline constexpr std::array<std::uint8_t, 6> kMseAuth384 = {0x80, 0x01, 0x54, 0x84, 0x01, 0x01};
inline constexpr std::array<std::uint8_t, 6> kMseAuth512 = {0x80, 0x01, 0x64, 0x84, 0x01, 0x01};
inline constexpr std::array<std::uint8_t, 6> kMseSign256 = {0x80, 0x01, 0x44, 0x84, 0x01, 0x02};
inline constexpr std::array<std::uint8_t, 6> kMseSign384 = {0x80, 0x01, 0x54, 0x84, 0x01, 0x02};
inline constexpr std::array<std::uint8_t, 6> kMseSign512 = {0x80, 0x01, 0x64, 0x84, 0x01, 0x02};
inline constexpr std::array<MseTemplate, 3> kMseAuth = {MseTemplate{0x41, 0xB6, kMseAuth384, 48},
                                                        MseTemplate{0x41, 0xB6, kMseAuth256, 32},
                                                        MseTemplate{0x41, 0xB6, kMseAuth512, 64}};
inline constexpr std::array<MseTemplate, 3> kMseSign = {MseTemplate{0x41, 0xB6, kMseSign384, 48},
                                                        MseTemplate{0x41, 0xB6, kMseSign256, 32},
                                                        MseTemplate{0x41, 0xB6, kMseSign512, 64}};

inline constexpr std::array<std::uint8_t, 3> kHashSizes = {32, 48, 64};
inline constexpr std::size_t kAuthCertFile = 0, kSignCertFile = 1;
// [W] the bare hash in PSO:HASH (input_length 0), r||s of P-384 asked for with Le 60.
inline constexpr std::array<KeyProfile, 2> kKeys = {
    KeyProfile{"authentication key", KeyRole::Authentication, 0x01, kPkcs15, KeyAlgorithm::EcP384, kPin1Ref, kMseAuth,
               SignatureRequest::PsoHashThenCds, SignatureEncoding::RawRS, 0, false, kHashSizes, kAuthCertFile, 0x60},
    KeyProfile{"signature key", KeyRole::Signature, 0x02, kPkcs15, KeyAlgorithm::EcP384, kPin2Ref, kMseSign,
               SignatureRequest::PsoHashThenCds, SignatureEncoding::RawRS, 0, false, kHashSizes, kSignCertFile, 0x60},
};

// [W] 4331 (authentication, under the MF) and 5016/4332 (v4 signature), both by path from the MF.
inline constexpr std::array<std::uint8_t, 2> kAuthCertPath = {0x43, 0x31};
inline constexpr std::array<std::uint8_t, 4> kSignCertPath = {0x50, 0x16, 0x43, 0x32};
inline constexpr std::array<FileProfile, 2> kFiles = {
    FileProfile{"authentication certificate", FileKind::Certificate, kAuthCertPath, 0x0800},
    FileProfile{"signature certificate", FileKind::Certificate, kSignCertPath, 0x0800},
};

inline constexpr CardProfile kProfile{
    CardType::FinnishIdV4, "finnish-id", "Finnish ID card (FinEID v4)",
    kAtrs, kApplications, kPins, kKeys, kFiles,
    RetryReporting::GetDataFineid, false, 0xB5, true,
    true, FileSelection::AidThenMfPath, kPkcs15,
};

}  // namespace qscd::profiles::finnish_id
