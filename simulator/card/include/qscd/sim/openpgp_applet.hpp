// OpenPGP card application 3.4 (openpgp-card.md), card side. Firmware style: no exceptions,
// no RTTI, no heap in the APDU path (the crypto implementation allocates internally for bignums/keys).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"
#include "qscd/sim/applet.hpp"
#include "qscd/sim/card_crypto.hpp"
#include "qscd/sim/platform.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

// The 16-byte OpenPGP AID prefix used for SELECT (openpgp-card.md §2.2).
inline constexpr std::array<std::uint8_t, 6> kOpenPgpAidPrefix = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};

class OpenPgpApplet {
public:
    OpenPgpApplet(Storage& storage, Random& random, Clock& clock, CardOptions options);
    ~OpenPgpApplet();
    OpenPgpApplet(const OpenPgpApplet&) = delete;
    OpenPgpApplet& operator=(const OpenPgpApplet&) = delete;

    // Loads the persistent state (and parses the stored keys). The store is never written here.
    // Clears every PIN verification: it was made against the state this load replaces.
    Result<LoadedState, StateError> load();
    // Writes a factory-default state with `serial` (a new card); returns the storage status.
    StorageStatus format(const std::array<std::uint8_t, 4>& serial);

    // SELECT of the OpenPGP AID (§2.2): clears volatile state; 9000, or 6285 when terminated.
    std::uint16_t select();
    // Power off / reset / deselect: clears PIN flags and SELECT DATA.
    void clear_volatile();

    // Whether a chained part (CLA bit 10) of this INS is accepted: 9000, 6884 (the command exists but
    // takes no chaining) or 6D00 (no such command). ISO 7816-4 §5.1.1.1.
    static std::uint16_t chaining_status(std::uint8_t ins);

    // Executes one (already de-chained) command; response data goes to `out`.
    ApduReply process(const ApduCommand& command, std::span<std::uint8_t> out);

    const CardState& state() const { return state_; }
    std::uint64_t generation() const { return generation_; }
    bool loaded() const { return loaded_; }
    // The full 16-byte AID (DO 4F).
    std::array<std::uint8_t, 16> aid() const;

private:
    ApduReply get_data(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply get_next_data(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply put_data(const ApduCommand& c);
    ApduReply import_key(const ApduCommand& c);
    std::uint16_t install_key(std::size_t slot, crypto::Key& key, std::uint8_t status);
    ApduReply select_data(const ApduCommand& c);
    ApduReply verify(const ApduCommand& c);
    ApduReply change_reference_data(const ApduCommand& c);
    ApduReply reset_retry_counter(const ApduCommand& c);
    ApduReply generate(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply pso(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply internal_authenticate(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply get_challenge(const ApduCommand& c, std::span<std::uint8_t> out);
    ApduReply terminate_df(const ApduCommand& c);
    ApduReply activate_file(const ApduCommand& c);

    std::uint16_t check_secret(PinRecord& record, ByteView secret);
    bool set_secret(PinRecord& record, ByteView secret);
    // Writes the state (a failed write reloads the stored one). Deferred: see pin_check and pso().
    bool commit(CommitSync sync = CommitSync::Now);
    bool reload();
    void factory_defaults(const std::array<std::uint8_t, 4>& serial);
    bool parse_keys();
    ApduReply sign_with(std::size_t slot, ByteView input, std::span<std::uint8_t> out);
    std::size_t write_public_key(std::size_t slot, std::span<std::uint8_t> out);
    ApduReply write_do(std::uint32_t tag, std::span<std::uint8_t> out);

    Storage& storage_;
    Random& random_;
    [[maybe_unused]] Clock& clock_;  // reserved (the card does not stamp key generation times, §9.1)
    CardOptions options_;

    // The one copy of the state in RAM: commands change it, commit() writes it (or reloads the stored one).
    CardState state_;
    std::uint64_t generation_ = 0;
    bool loaded_ = false;
    std::array<crypto::Key, 3> keys_;

    // Volatile security status (§6.2): cleared by SELECT, reset and power off.
    bool pw1_81_ = false;
    bool pw1_82_ = false;
    bool pw3_ = false;
    std::uint8_t cert_occurrence_ = 0;  // SELECT DATA (§10)
};

}  // namespace qscd::sim
