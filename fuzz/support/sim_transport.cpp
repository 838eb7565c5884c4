#include "sim_transport.hpp"

#include <cstdlib>

namespace qscd::fuzz {

SimTransport::SimTransport(std::shared_ptr<sim::MemoryStorage> storage)
    : storage_(std::move(storage)),
      card_(std::make_unique<sim::VirtualCard>(*storage_, random_, clock_, sim::CardOptions{kFuzzPinIterations})) {
    // A harness whose card cannot start would fuzz nothing: stop loudly.
    if (!storage_->image()) {
        if (card_->format({0x00, 0x00, 0x0F, 0x22}) != sim::StorageStatus::Ok) std::abort();
    }
    if (!card_->load()) std::abort();
    card_->power_on();
}

Bytes SimTransport::transmit(ByteView command) {
    const std::size_t n = card_->process(command, response_);
    return Bytes(response_.begin(), response_.begin() + static_cast<std::ptrdiff_t>(n));
}

Bytes SimTransport::atr() const {
    const ByteView a = card_->card_atr();
    return Bytes(a.begin(), a.end());
}

}  // namespace qscd::fuzz
