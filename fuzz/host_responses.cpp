// Host-side parsing of card answers: the OpenPGP driver (OpenPgpCard / OpenPgpToken) over ApduChannel,
// fed a fuzz-chosen sequence of raw responses (support/framing.hpp), one per transmit(), whatever was
// sent. The session (support/host_session.cpp) must end in results or qscd::Error; any other exception
// (std::out_of_range, std::length_error, ...) escapes and libFuzzer reports it, as do sanitizer reports.
#include <memory>

#include "framing.hpp"
#include "host_session.hpp"
#include "qscd/error.hpp"
#include "qscd/sim/virtual_card.hpp"

using namespace qscd;

namespace {

// Answers each command with the next response of the input; then the card is gone.
class ReplayTransport : public Transport {
public:
    explicit ReplayTransport(std::vector<ByteView> responses) : responses_(std::move(responses)) {}

    Bytes transmit(ByteView) override {
        if (next_ == responses_.size()) throw Error(ErrorCode::CardRemoved, "fuzz input exhausted");
        const ByteView r = responses_[next_++];
        return Bytes(r.begin(), r.end());
    }
    Bytes atr() const override {
        const ByteView a = sim::VirtualCard::atr();
        return Bytes(a.begin(), a.end());
    }
    std::string description() const override { return "fuzz responses"; }

private:
    std::vector<ByteView> responses_;
    std::size_t next_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::run_host_session(std::make_unique<ReplayTransport>(fuzz::split_frames(ByteView(data, size))));
    return 0;
}
