// The ISO 7816-4/-8 signature application of a national ID card, host side: the card's commands, each
// built from its profile (core/profiles: AIDs, paths, references, PIN format, MSE SET template, how a
// signature is requested and encoded, how tries are reported). Internal to qscd_core; not installed.
// No transactions here: the caller (IdCardToken) holds one around each sequence.
#pragma once

#include <optional>
#include <string>

#include "qscd/algorithms.hpp"
#include "qscd/apdu_channel.hpp"
#include "qscd/pin_pad.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/secure_bytes.hpp"

namespace qscd::idcard {

// The PIN block of `pin`'s format: ASCII digits padded with the pad byte to the stored length
// (Estonian card: FF to 12 bytes). Throws InvalidPin (nothing sent) for a PIN outside the card's
// lengths or with a character that is not a digit.
SecureBytes pin_block(const profiles::PinProfile& pin, const Pin& value, const std::string& what);

// The input the card signs: the hash left-padded with zeros or truncated to the key's input length
// (FIPS 186-5 §6.4: ECDSA uses the leftmost bits), or a DigestInfo (RFC 8017 §9.2) where the profile
// says so.
Bytes signature_input(const profiles::KeyProfile& key, HashAlgorithm hash, ByteView digest);

// The PIN_VERIFY structure for `pin` on a PIN-pad reader (PC/SC part 10 §2.5.2): VERIFY 00 20 00 <ref>
// (ISO 7816-4 §11.5.6), ASCII digits left-justified in the profile's stored block and padded with its pad
// byte (Estonian: FF to 12 bytes; FinEID: 00 to 12), the profile's minimum and maximum length; a profile
// without a stored length lets the reader set Lc. The same block pin_block() builds on the host.
Bytes pin_pad_verify_structure(const profiles::PinProfile& pin);

// PIN_MODIFY_STRUCTURE for `pin` (PC/SC part 10 §2.5.3): CHANGE REFERENCE DATA 00 24 00 <ref> with the
// current and the new PIN each in the profile's block (the blocks change_reference_data sends).
Bytes pin_pad_modify_structure(const profiles::PinProfile& pin);

KeyType key_type_of(profiles::KeyAlgorithm algorithm);

// The key's MSE SET form for a hash of `hash_size` bytes (MseTemplate::hash_size), else the first form for
// any hash; nullptr when the card has none for that hash.
const profiles::MseTemplate* mse_form(const profiles::KeyProfile& key, std::size_t hash_size);

class IdCardApplication {
public:
    IdCardApplication(Transport& transport, const profiles::CardProfile& profile);

    const profiles::CardProfile& profile() const { return profile_; }
    ApduChannel& channel() { return channel_; }

    // SELECT of applications[index]: by AID (00 A4 04 0C, as libelectronic-id selects the IDEMIA
    // applications) or, for an MF without AID, 00 A4 00 0C (OpenSC's MF select). Throws NotFound.
    void select_application(std::size_t index);
    // select_application unless this object's last SELECT already chose that application (a caller
    // that knows nobody else touched the card since: Transport::held_generation).
    void ensure_selected(std::size_t index);
    // Forget which application is selected (the card may have been reset or used by someone else).
    void forget_selection() { selected_.reset(); }
    // The first application with an AID answers SELECT: confirms the card is this profile's card.
    bool confirm();

    // A transparent EF by its path from the MF, selected the profile's way (FileSelection: the main
    // application then 00 A4 09 0C <path>, or the PKCS#15 application then 00 A4 08 04 <path> 00),
    // READ BINARY in blocks of at most read_binary_max bytes. Certificates: the length comes from the
    // DER header in the first 4 bytes (as libelectronic-id reads it). nullopt when the file is empty.
    std::optional<Bytes> read_certificate(const profiles::FileProfile& file);
    // The document number: tag 04 in the EF (OpenSC's D003 reading). nullopt if the card has none.
    std::optional<std::string> read_document_number();

    // Tries left, the card's way (profile.retries); selects where the PIN lives.
    int tries_left(const profiles::PinProfile& pin);

    // VERIFY 00 20 00 <ref> <PIN block> (ISO 7816-4 §11.5.6). Throws WrongPin (tries left), PinBlocked,
    // InvalidPin. The caller has selected where the PIN lives.
    void verify(const profiles::PinProfile& pin, const Pin& value);
    // The same VERIFY with the PIN typed on the reader's keypad (pin_pad_verify_structure): the host never
    // holds it. Throws the reader's errors (check_pin_pad_status: Cancelled for a cancel or timeout,
    // InvalidPin for a length it refused) and what verify() throws for the card's answer.
    void verify_on_pin_pad(const profiles::PinProfile& pin, PinPad& pad);
    // The same CHANGE REFERENCE DATA with both PINs typed on the reader's keypad (PC/SC part 10
    // MODIFY_PIN_DIRECT, pin_pad_modify_structure). Throws as verify_on_pin_pad.
    void change_on_pin_pad(const profiles::PinProfile& pin, PinPad& pad);
    // CHANGE REFERENCE DATA 00 24 00 <ref> <old block> <new block> (ISO 7816-4 §11.5.7).
    void change_reference_data(const profiles::PinProfile& pin, const Pin& current, const Pin& replacement);
    // RESET RETRY COUNTER 00 2C 02 <ref> <new block> after the unblocking PIN was verified (ISO 7816-4
    // §11.5.10; P1 02 = new reference data only, as OpenSC's esteid2018 driver sends it after VERIFY PUK).
    void reset_retry_counter(const profiles::PinProfile& pin, const Pin& replacement);

    // MSE SET 00 22 <p1> <p2> <data> (ISO 7816-8 §5.2 / 7816-4 §7.5.11) with the key's template for a hash
    // of `hash_size` bytes (FinEID names the hash in the algorithm byte), else its first for any hash.
    void set_security_environment(const profiles::KeyProfile& key, std::size_t hash_size);
    // The signature the profile's way: PSO:CDS with the input, PSO:HASH then PSO:CDS, or INTERNAL
    // AUTHENTICATE; returned in card format (ECDSA r‖s, RSA PKCS#1 v1.5 block), length checked.
    Bytes compute_signature(const profiles::KeyProfile& key, HashAlgorithm hash, ByteView digest);

private:
    ResponseApdu send(const CommandApdu& command);
    ResponseApdu send_secret(CommandApdu command);
    [[noreturn]] void refused(const profiles::PinProfile& pin, StatusWord sw, const std::string& operation);

    ApduChannel channel_;
    const profiles::CardProfile& profile_;
    std::optional<std::size_t> selected_;  // the application our last SELECT chose; nullopt: unknown
};

}  // namespace qscd::idcard
