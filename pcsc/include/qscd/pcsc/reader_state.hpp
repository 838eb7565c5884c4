// What a reader looks like at one moment, and the events between two such moments.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qscd/codec/bytes.hpp"

namespace qscd::pcsc {

struct ReaderStatus {
    std::string reader;
    bool card_present = false;      // a card is in the reader (its ATR below, empty when mute)
    bool mute = false;              // present but gave no ATR
    bool exclusive = false;         // another program holds it with SCARD_SHARE_EXCLUSIVE
    bool in_use = false;            // connected by some program
    Bytes atr;
    std::uint32_t event_count = 0;  // insertions + removals as counted by pcscd (0 if not reported)
};

enum class ReaderEventKind { ReaderAdded, ReaderRemoved, CardInserted, CardRemoved };

const char* to_string(ReaderEventKind kind);

struct ReaderEvent {
    ReaderEventKind kind = ReaderEventKind::ReaderAdded;
    std::string reader;
    Bytes atr;  // CardInserted: the new card's ATR; CardRemoved: the ATR of the card that left
};

// The events that lead from `before` to `after`, in reader order: for a vanished reader
// CardRemoved (if it held a card) then ReaderRemoved; for a new reader ReaderAdded then
// CardInserted (if it holds one); a card swapped between two looks (other ATR or a moved event
// counter) gives CardRemoved then CardInserted.
std::vector<ReaderEvent> diff_reader_states(const std::vector<ReaderStatus>& before,
                                            const std::vector<ReaderStatus>& after);

}  // namespace qscd::pcsc
