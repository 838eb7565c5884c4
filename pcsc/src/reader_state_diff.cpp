#include <algorithm>

#include "qscd/pcsc/reader_state.hpp"

namespace qscd::pcsc {

const char* to_string(ReaderEventKind kind) {
    switch (kind) {
        case ReaderEventKind::ReaderAdded: return "reader added";
        case ReaderEventKind::ReaderRemoved: return "reader removed";
        case ReaderEventKind::CardInserted: return "card inserted";
        case ReaderEventKind::CardRemoved: return "card removed";
    }
    return "?";
}

std::vector<ReaderEvent> diff_reader_states(const std::vector<ReaderStatus>& before,
                                            const std::vector<ReaderStatus>& after) {
    auto find = [](const std::vector<ReaderStatus>& list, const std::string& name) {
        return std::find_if(list.begin(), list.end(), [&](const ReaderStatus& r) { return r.reader == name; });
    };
    std::vector<ReaderEvent> events;
    for (const ReaderStatus& old : before) {
        if (find(after, old.reader) != after.end()) continue;
        if (old.card_present) events.push_back({ReaderEventKind::CardRemoved, old.reader, old.atr});
        events.push_back({ReaderEventKind::ReaderRemoved, old.reader, {}});
    }
    for (const ReaderStatus& now : after) {
        auto old = find(before, now.reader);
        if (old == before.end()) {
            events.push_back({ReaderEventKind::ReaderAdded, now.reader, {}});
            if (now.card_present) events.push_back({ReaderEventKind::CardInserted, now.reader, now.atr});
            continue;
        }
        if (old->card_present && now.card_present) {
            const bool swapped = old->atr != now.atr || (old->event_count != now.event_count && old->event_count != 0);
            if (!swapped) continue;
        } else if (old->card_present == now.card_present) {
            continue;
        }
        if (old->card_present) events.push_back({ReaderEventKind::CardRemoved, now.reader, old->atr});
        if (now.card_present) events.push_back({ReaderEventKind::CardInserted, now.reader, now.atr});
    }
    return events;
}

}  // namespace qscd::pcsc
