// A Transport in front of a simulated card that lets a test rewrite any response: the card answers
// truthfully unless `intercept` returns a response of its own. Unlike ScriptedTransport (strict
// replay) the host may send whatever it likes; transmits are counted, and the card can be "removed".
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "qscd/error.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/in_process_transport.hpp"

namespace malformed {

class FlexibleTransport : public qscd::Transport {
public:
    using Intercept = std::function<std::optional<qscd::Bytes>(qscd::ByteView command, FlexibleTransport& self)>;

    // A card loaded from a committed state image (see personalised_image()).
    explicit FlexibleTransport(std::vector<std::uint8_t> image)
        : card_(std::make_unique<qscd::sim::MemoryStorage>(std::move(image)), "flexible", qscd::sim::CardOptions{1000}) {}

    qscd::Bytes transmit(qscd::ByteView command) override {
        ++transmits;
        if (removed) throw qscd::Error(qscd::ErrorCode::CardRemoved, "card removed");
        if (intercept)
            if (auto r = intercept(command, *this)) return *r;
        return card_.transmit(command);
    }
    qscd::Bytes atr() const override { return atr_override ? *atr_override : card_.atr(); }
    std::string description() const override { return "flexible"; }

    // The card's complete answer (61xx followed internally), as one data ‖ SW response.
    qscd::Bytes full_response(qscd::ByteView command) {
        qscd::Bytes r = card_.transmit(command);
        qscd::Bytes data(r.begin(), r.end() - 2);
        while (r.size() >= 2 && r[r.size() - 2] == 0x61) {
            const qscd::Bytes get{0x00, 0xC0, 0x00, 0x00, r[r.size() - 1]};
            r = card_.transmit(get);
            data.insert(data.end(), r.begin(), r.end() - 2);
        }
        data.push_back(r[r.size() - 2]);
        data.push_back(r[r.size() - 1]);
        return data;
    }

    Intercept intercept;
    int transmits = 0;
    bool removed = false;
    std::optional<qscd::Bytes> atr_override;

private:
    mutable qscd::sim::InProcessTransport card_;
};

}  // namespace malformed
