// A Transport that replays a recorded exchange: each transmit() must match the next expected
// command exactly, and gets the recorded response. Unit/component tests only.
#pragma once

#include <deque>
#include <stdexcept>
#include <string>
#include <utility>

#include "qscd/codec/bytes.hpp"
#include "hex.hpp"
#include "qscd/transport.hpp"

namespace qscd::test {

class ScriptedTransport : public Transport {
public:
    ScriptedTransport& expect(std::string_view command, std::string_view response) {
        script_.emplace_back(hex(command), hex(response));
        return *this;
    }

    Bytes transmit(ByteView command) override {
        ++sent_;
        if (script_.empty()) throw std::logic_error("unexpected command " + to_hex(command));
        auto [want, response] = std::move(script_.front());
        script_.pop_front();
        if (!std::equal(want.begin(), want.end(), command.begin(), command.end()))
            throw std::logic_error("expected " + to_hex(want) + " but got " + to_hex(command));
        return response;
    }
    void begin_transaction() override { ++transactions_; }
    Bytes atr() const override { return hex("3B 80 80 01 01"); }
    std::string description() const override { return "scripted"; }

    bool finished() const { return script_.empty(); }
    int sent() const { return sent_; }
    int transactions() const { return transactions_; }

private:
    std::deque<std::pair<Bytes, Bytes>> script_;
    int sent_ = 0;
    int transactions_ = 0;
};

}  // namespace qscd::test
