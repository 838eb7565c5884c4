// A PinPad for scripted tests: records every PIN_VERIFY structure it is handed and what the display
// was asked to show, and answers each VERIFY with the next scripted status word (the card's, or the
// reader's own 64xx). The PIN itself never exists on this side, as on a real PIN-pad reader.
#pragma once

#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "qscd/pin_pad.hpp"

namespace qscd::test {

class ScriptedPinPad final : public PinPad {
public:
    ScriptedPinPad& answer(std::uint16_t sw) {
        answers_.push_back(sw);
        return *this;
    }
    StatusWord verify_pin_direct(ByteView structure) override {
        structures.emplace_back(structure.begin(), structure.end());
        if (answers_.empty()) throw std::logic_error("unexpected VERIFY_PIN_DIRECT");
        const std::uint16_t sw = answers_.front();
        answers_.pop_front();
        return StatusWord(sw);
    }
    std::string reader_name() const override { return "Scripted PIN Pad"; }
    void show(std::string_view first, std::string_view second) override {
        display.push_back(std::string(first) + "|" + std::string(second));
    }

    std::vector<Bytes> structures;
    std::vector<std::string> display;

private:
    std::deque<std::uint16_t> answers_;
};

}  // namespace qscd::test
