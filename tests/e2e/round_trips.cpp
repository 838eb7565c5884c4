// APDUs per signature through a real pcscd (issue 15 item 2), counted on the wire by a Transport
// decorator: N signatures with a PIN each through SigningService on one token, with the card held
// (PC/SC exclusive) and shared; then the held card reset by a reconnect and pulled and put back, after
// which the driver must read everything again (re-select) and still sign correctly (the service's
// self-check verifies every signature against the card's certificate).
//   round_trips READER PIN N MAX_HELD   (run by round_trips_test.sh, which sets ROUND_TRIPS_REPLUG).
//   Prints one "# figures" line; exit 0 when every check holds.
#include <fmt/core.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "counting_transport.hpp"
#include "qscd/audit.hpp"
#include "qscd/error.hpp"
#include "qscd/pcsc/card_connection.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/pin_entry.hpp"
#include "qscd/signing_service.hpp"
#include "qscd/token_source.hpp"

using namespace qscd;

namespace {

int failures = 0;
void check(bool condition, const std::string& what) {
    fmt::print("{} - {}\n", condition ? "ok" : "not ok", what);
    if (!condition) ++failures;
}

class NoAudit final : public AuditSink {
public:
    void check_ready() override {}
    std::uint64_t append(const AuditEntry&) override { return ++n_; }

private:
    std::uint64_t n_ = 0;
};

// One token on one connection, and one signing service for it (as a kiosk keeps one per card).
struct Held {
    std::size_t apdus = 0;
    pcsc::CardConnection* connection = nullptr;
    std::unique_ptr<Token> token;
    NoAudit audit;
    std::string pin;
    HostPinPrompt entry{[this](const PinRequest&) { return Pin(pin); }};
    std::unique_ptr<SigningService> service;
};

std::unique_ptr<Held> open(pcsc::Context& context, const std::string& reader, pcsc::ShareMode mode, const std::string& pin) {
    auto h = std::make_unique<Held>();
    h->pin = pin;
    auto connection = std::make_unique<pcsc::CardConnection>(context, reader, mode, pcsc::Disposition::Reset);
    h->connection = connection.get();
    h->token = open_card(std::make_unique<bench::CountingTransport>(std::move(connection), &h->apdus), "round trips");
    h->service = std::make_unique<SigningService>(*h->token, h->audit, h->entry);  // reads the token's info: not counted
    return h;
}

// One signature through the service (a digest, CAdES, self-checked against the card's certificate);
// the APDUs it took.
std::size_t sign_once(Held& h, const std::string&) {
    SignRequest request;
    request.subject = PrecomputedDigest{HashAlgorithm::Sha256, Bytes(32, 0x5A)};
    const std::size_t before = h.apdus;
    (void)h.service->sign(request);
    return h.apdus - before;
}

std::string join(const std::vector<std::size_t>& v) {
    std::string s;
    for (std::size_t x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        fmt::print(stderr, "usage: round_trips READER PIN N MAX_HELD\n");
        return 2;
    }
    const std::string reader = argv[1], pin = argv[2];
    const int n = std::atoi(argv[3]);
    const std::size_t max_held = static_cast<std::size_t>(std::atoi(argv[4]));
    try {
        pcsc::Context context;
        std::vector<std::size_t> shared, held, after_reset, after_removal;
        {
            auto h = open(context, reader, pcsc::ShareMode::Shared, pin);
            for (int i = 0; i < n; ++i) shared.push_back(sign_once(*h, pin));
        }
        auto held_card = open(context, reader, pcsc::ShareMode::Exclusive, pin);
        Held& h = *held_card;
        for (int i = 0; i < n; ++i) held.push_back(sign_once(h, pin));
        // The first signatures read what later ones keep; from the third on the card is known.
        bool within = true;
        for (std::size_t i = 2; i < held.size(); ++i) within = within && held[i] <= max_held;
        check(within, fmt::format("held card: at most {} APDUs per signature from the third on ({})", max_held, join(held)));

        // A reset of the held card (here by our own reconnect, as a kiosk recovers): read again, sign correctly.
        h.connection->reconnect(pcsc::Disposition::Reset);
        after_reset.push_back(sign_once(h, pin));
        after_reset.push_back(sign_once(h, pin));
        after_reset.push_back(sign_once(h, pin));
        check(after_reset[0] > held.back(), fmt::format("after a reset the driver reads the card again ({} > {} APDUs)", after_reset[0], held.back()));
        check(after_reset[2] <= max_held, fmt::format("... and keeps it again afterwards ({})", join(after_reset)));

        // The card pulled and put back between two signatures: a typed error, never a signature on stale state.
        // ROUND_TRIPS_REPLUG: a shell command that pulls the card and puts it back, waiting until pcscd saw both.
        check(std::getenv("ROUND_TRIPS_REPLUG") && std::system("bash -c \"$ROUND_TRIPS_REPLUG\"") == 0,
              "card removed and inserted again (ROUND_TRIPS_REPLUG)");
        ErrorCode code = ErrorCode::InvalidArgument;
        try {
            (void)sign_once(h, pin);
        } catch (const Error& e) {
            code = e.code();
        }
        check(code == ErrorCode::CardRemoved || code == ErrorCode::CardReset,
              fmt::format("the first signature after the card came back is refused with a typed error ({})", to_string(code)));
        held_card.reset();  // the old connection goes, as a kiosk drops a token after CardRemoved
        auto again = open(context, reader, pcsc::ShareMode::Exclusive, pin);
        after_removal.push_back(sign_once(*again, pin));
        after_removal.push_back(sign_once(*again, pin));
        after_removal.push_back(sign_once(*again, pin));
        check(after_removal[0] > max_held && after_removal[2] <= max_held,
              fmt::format("a new connection reads the card again, then keeps it ({})", join(after_removal)));

        fmt::print("# figures {}: APDUs per signature, shared [{}], held [{}], after a reset [{}], after removal [{}]\n", reader,
                   join(shared), join(held), join(after_reset), join(after_removal));
    } catch (const Error& e) {
        fmt::print("not ok - {}\n", e.what());
        return 1;
    }
    return failures == 0 ? 0 : 1;
}
