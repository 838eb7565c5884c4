// OpenPGP card 3.4 application protocol, host side. One method per card command, each citing the
// spec section (sections of shared/reference/openpgp-card.md in brackets). Nothing here knows whether
// the card is real or simulated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "qscd/algorithms.hpp"
#include "qscd/apdu_channel.hpp"
#include "qscd/pin_pad.hpp"
#include "qscd/secure_bytes.hpp"

namespace qscd::openpgp {

// Key slots and their key references [§1].
enum class KeySlot : std::uint8_t { Signature = 1, Decryption = 2, Authentication = 3 };
// VERIFY P2 values [§6.2].
enum class Password : std::uint8_t { Pw1Signing = 0x81, Pw1Other = 0x82, Pw3 = 0x83 };

inline constexpr std::uint8_t kAidPrefix[] = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};

// DO C4 [§6.1].
struct PwStatus {
    bool pw1_valid_for_several_signatures = false;  // byte 1: 00 = one PSO:CDS per VERIFY
    int pw1_max_length = 0, rc_max_length = 0, pw3_max_length = 0;
    int pw1_tries = 0, rc_tries = 0, pw3_tries = 0;
};
std::optional<PwStatus> parse_pw_status(ByteView c4);

// Public key as the card returns it in DO 7F49 [§9.1], with its SubjectPublicKeyInfo.
struct PublicKey {
    KeyType type = KeyType::EcP256;
    Bytes modulus, exponent;  // RSA
    Bytes point;              // EC: 04 ‖ X ‖ Y
    Bytes spki;               // DER SubjectPublicKeyInfo
};

// Algorithm attributes C1–C3 [§5]: only the algorithms qscd signs with.
std::optional<KeyType> parse_algorithm_attributes(ByteView attributes);
Bytes encode_algorithm_attributes(KeyType type, KeySlot slot);

// V4 fingerprint the host computes and stores in C7–C9 [§9.2].
Bytes v4_fingerprint(const PublicKey& key, std::uint32_t creation_time);

// Application related data, DO 6E [§3.3], parsed.
struct ApplicationData {
    Bytes aid;                                   // 16 bytes [§2.1]
    Bytes historical_bytes;                      // 5F52 [§3.4]
    Bytes extended_capabilities;                 // C0 [§4]
    std::array<std::optional<KeyType>, 3> algorithms;  // C1, C2, C3
    std::array<Bytes, 3> raw_algorithm_attributes;
    PwStatus pw_status;                          // C4
    Bytes key_information;                       // DE [§3.1]
    CardCapabilities capabilities;               // from 5F52 and 7F66

    std::uint16_t version() const;               // BCD, 0x0304 for 3.4
    std::uint16_t manufacturer() const;
    std::string serial_hex() const;              // manufacturer ‖ serial, "FFFF00000001"
    bool is_test_card() const;                   // manufacturer 0000 or FFFF [§2.1]
    bool key_present(KeySlot slot) const;        // from DE when the card has it
};

// Parses chaining / extended-length bits from historical bytes (iso7816.md §9.2–9.3).
CardCapabilities parse_historical_capabilities(ByteView historical);

class OpenPgpCard {
public:
    explicit OpenPgpCard(Transport& transport) : channel_(transport) {}

    ApduChannel& channel() { return channel_; }

    void select();                                           // [§2.2]
    ApplicationData read_application_data();                 // GET DATA 6E; adopts the capabilities
    Bytes get_data(std::uint16_t tag);                       // [§3.2]
    void put_data(std::uint16_t tag, ByteView value);        // [§3.1], PW3
    PwStatus pw_status();                                    // GET DATA C4

    void verify(Password password, const Pin& pin);          // [§6.2]
    // The same VERIFY with the PIN typed on the reader's keypad (PC/SC part 10 VERIFY_PIN_DIRECT):
    // ASCII, variable length min..max, no padding. Keypad timeout / cancel: Error(Cancelled, sw 6400 /
    // 6401); the card's refusals as verify().
    void verify_on_pin_pad(Password password, PinPad& pad, std::size_t min_length, std::size_t max_length);
    // Empty VERIFY: nullopt when verified, otherwise the tries left.
    std::optional<int> verification_status(Password password);
    // VERIFY P1 = FF, no data [§6.2]: true when logged out, false when the card does not know the
    // logout (6A86 / 6B00 / 6D00, cards before 3.1); other refusals throw.
    bool logout(Password password);
    void change_reference_data(Password password, const Pin& current, const Pin& replacement);  // [§6.3]
    // The same with both secrets typed on the reader's keypad (PC/SC part 10 MODIFY_PIN_DIRECT,
    // variable length: the reader puts old ‖ new and sets Lc). Throws as verify_on_pin_pad.
    void change_reference_data_on_pin_pad(Password password, PinPad& pad, std::size_t min_length, std::size_t max_length);
    void reset_retry_counter_with_resetting_code(const Pin& resetting_code, const Pin& new_pw1);  // [§6.3]
    void reset_retry_counter_as_admin(const Pin& new_pw1);   // [§6.3], after VERIFY 83

    void set_algorithm(KeySlot slot, KeyType type);          // PUT DATA C1–C3 [§5.3]
    PublicKey generate_key(KeySlot slot);                    // GENERATE 80 [§9.1]
    PublicKey read_public_key(KeySlot slot);                 // GENERATE 81 [§9.1]
    void write_fingerprint(KeySlot slot, ByteView fingerprint);       // C7–C9
    void write_generation_time(KeySlot slot, std::uint32_t time);     // CE–D0

    Bytes compute_digital_signature(ByteView input);         // PSO:CDS [§8]
    std::uint32_t signature_counter();                       // 7A/93 [§8.2]

    Bytes read_certificate(KeySlot slot);                    // SELECT DATA + GET DATA 7F21 [§10]
    void write_certificate(KeySlot slot, ByteView der);      // SELECT DATA + PUT DATA 7F21 [§10]

    Bytes get_challenge(std::size_t length);                 // [§11]
    void terminate();                                        // TERMINATE DF [§11]
    void activate();                                         // ACTIVATE FILE [§11]

private:
    ResponseApdu send(const CommandApdu& command);
    // Sends a command whose data is a secret and wipes the command's copy afterwards.
    ResponseApdu send_secret(CommandApdu command);
    void select_certificate(KeySlot slot);
    PublicKey parse_public_key(ByteView response, KeySlot slot);
    std::optional<KeyType> slot_algorithm(KeySlot slot);

    ApduChannel channel_;
    std::optional<ApplicationData> app_data_;
};

}  // namespace qscd::openpgp
