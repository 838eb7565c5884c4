// A national ID card's signature application, card side: one ISO 7816-4/-8 applet driven by a card profile
// (qscd_profiles): file system (MF, applications, transparent EFs), PIN objects in the card's PIN block
// format with its retry reporting, security environment (MSE SET forms of the profile), PSO:COMPUTE
// DIGITAL SIGNATURE and INTERNAL AUTHENTICATE, and the personalisation commands the issuer uses before the
// card is activated. Firmware style: no exceptions, no RTTI, no heap in the APDU path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/sim/applet.hpp"
#include "qscd/sim/card_crypto.hpp"
#include "qscd/sim/id_card_state.hpp"
#include "qscd/sim/platform.hpp"

namespace qscd::sim {

class IdCardApplet {
public:
    IdCardApplet(Storage& storage, Random& random, Clock& clock, CardOptions options);
    ~IdCardApplet();
    IdCardApplet(const IdCardApplet&) = delete;
    IdCardApplet& operator=(const IdCardApplet&) = delete;

    // Loads a format-2 state (and parses its keys). Clears every verification. Never writes the store.
    Result<LoadedState, StateError> load();
    // A new card of `options.card_type` in the personalisation life cycle: the profile's default PINs,
    // the document number EF, no keys, empty certificate EFs. Committed to the storage.
    StorageStatus format(const std::array<std::uint8_t, 4>& serial);

    // Power on / reset: MF current, no EF, no security environment, no PIN verified.
    void clear_volatile();
    // Whether a chained part (CLA bit 10) of this INS is accepted (9000, 6884 or 6D00).
    static std::uint16_t chaining_status(std::uint8_t ins);
    // One de-chained command, SELECT included; response data goes to `out`.
    ApduReply process(const ApduCommand& command, std::span<std::uint8_t> out);

    bool loaded() const { return loaded_; }
    const profiles::CardProfile* profile() const { return profile_; }
    const IdCardState& state() const { return state_; }
    std::uint64_t generation() const { return generation_; }
    // The ATR of the real card this profile describes.
    ByteView atr() const;

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

    ApduReply select(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply read_binary(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply update_binary(const ApduCommand& c);
    ApduReply verify(const ApduCommand& c);
    ApduReply change_reference_data(const ApduCommand& c);
    ApduReply reset_retry_counter(const ApduCommand& c);
    ApduReply manage_security_environment(const ApduCommand& c);
    ApduReply pso(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply internal_authenticate(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply get_data(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply get_data_fineid(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply generate(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply activate(const ApduCommand& c);

    // File system navigation over the profile (indices into applications / files).
    std::size_t child_df(std::size_t df, std::uint16_t fid) const;
    std::size_t child_ef(std::size_t df, std::uint16_t fid) const;
    std::size_t parent_of(std::size_t file) const;
    std::size_t write_fcp(std::size_t df, std::size_t ef, std::span<std::uint8_t> out) const;
    void enter_df(std::size_t df);

    // PINs: the profile's PIN reachable from the current DF (local ones only in their own DF).
    std::size_t pin_index(std::uint8_t reference) const;
    bool parse_pin_block(std::size_t pin, ByteView block, ByteView& digits) const;
    ApduReply check_pin(std::size_t pin, ByteView digits);
    bool set_pin(std::size_t pin, ByteView digits);

    ApduReply sign(std::size_t key, profiles::SignatureRequest request, ByteView input, std::span<std::uint8_t> out);
    std::size_t write_public_key(std::size_t key, std::span<std::uint8_t> out);
    std::size_t write_rsa_public_key(std::size_t key, std::span<std::uint8_t> out);

    // Writes the state (a failed write reloads the stored one). Deferred: see pin_check.
    bool commit(CommitSync sync = CommitSync::Now);
    bool reload();
    bool parse_keys();

    Storage& storage_;
    Random& random_;
    [[maybe_unused]] Clock& clock_;
    CardOptions options_;
    const profiles::CardProfile* profile_ = nullptr;

    IdCardState state_;  // the one copy in RAM, as in OpenPgpApplet
    std::uint64_t generation_ = 0;
    bool loaded_ = false;
    std::array<crypto::Key, kIdMaxKeys> keys_;

    // Volatile: current DF / EF, the key chosen by MSE SET (and the hash length its form names), the hash
    // handed over by PSO:HASH, verified PINs.
    std::size_t current_df_ = 0;
    std::size_t current_ef_ = kNone;
    std::size_t se_key_ = kNone;
    std::uint8_t se_hash_size_ = 0;
    std::array<std::uint8_t, 64> hash_{};
    std::size_t hash_length_ = 0;
    std::array<bool, kIdMaxPins> verified_{};
};

}  // namespace qscd::sim
