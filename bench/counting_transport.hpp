// A Transport decorator that counts the APDUs actually handed to the card (every transmit: GET
// RESPONSE rounds and chained parts included), so the bench can report APDUs per signature.
#pragma once

#include <memory>

#include "qscd/transport.hpp"

namespace bench {

class CountingTransport final : public qscd::Transport {
public:
    explicit CountingTransport(std::unique_ptr<qscd::Transport> inner, std::size_t* counter)
        : inner_(std::move(inner)), counter_(counter) {}
    qscd::Bytes transmit(qscd::ByteView command) override {
        ++*counter_;
        return inner_->transmit(command);
    }
    void begin_transaction() override { inner_->begin_transaction(); }
    void end_transaction() noexcept override { inner_->end_transaction(); }
    std::uint64_t held_generation() const override { return inner_->held_generation(); }
    qscd::PinPad* pin_pad() override { return inner_->pin_pad(); }
    void reset_card_on_close() noexcept override { inner_->reset_card_on_close(); }
    qscd::Bytes atr() const override { return inner_->atr(); }
    std::string description() const override { return inner_->description(); }

private:
    std::unique_ptr<qscd::Transport> inner_;
    std::size_t* counter_;
};

}  // namespace bench
