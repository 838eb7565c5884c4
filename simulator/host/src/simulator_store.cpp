#include "qscd/sim/simulator_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "qscd/codec/bytes.hpp"
#include "qscd/error.hpp"
#include "qscd/sim/file_storage.hpp"
#include "qscd/sim/host_platform.hpp"

namespace qscd::sim {

namespace fs = std::filesystem;

namespace {
constexpr const char* kExtension = ".qscdsim";
}

fs::path resolve_state_dir(const std::optional<fs::path>& explicit_dir) {
    if (explicit_dir && !explicit_dir->empty()) return *explicit_dir;
    if (const char* env = std::getenv("QSCD_SIM_DIR"); env && *env) return fs::path(env);
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return fs::path(xdg) / "qscd" / "sim";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".local" / "share" / "qscd" / "sim";
    throw Error(ErrorCode::InvalidArgument, "cannot find the simulator directory: set --state or QSCD_SIM_DIR");
}

SimulatorStore::SimulatorStore(fs::path dir) : dir_(std::move(dir)) {}

bool SimulatorStore::valid_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
               ch == '_' || ch == '.';
    });
}

fs::path SimulatorStore::state_path(const std::string& name) const { return dir_ / (name + kExtension); }
fs::path SimulatorStore::lock_path(const std::string& name) const { return dir_ / (name + ".lock"); }

bool SimulatorStore::exists(const std::string& name) const {
    std::error_code ec;
    return valid_name(name) && fs::exists(state_path(name), ec);
}

TokenInfo SimulatorStore::create_token(const std::string& name, CardOptions options) {
    if (!valid_name(name))
        throw Error(ErrorCode::InvalidArgument,
                    "invalid token name '" + name + "': use 1-64 of A-Z a-z 0-9 . _ - (not starting with . or -)");
    std::error_code ec;
    // Only a directory made here is made private: an existing one keeps the mode its owner chose
    // (the state files themselves are 0600).
    if (fs::create_directories(dir_, ec)) ::chmod(dir_.c_str(), 0700);
    if (ec) throw Error(ErrorCode::IoError, "cannot create " + dir_.string() + ": " + ec.message());
    const fs::path path = state_path(name);
    // The token's lock, as a card transaction takes it: two creations of one name are serialised, so
    // the second sees the first's state file instead of replacing it.
    const int lock_fd = ::open(lock_path(name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0) throw Error(ErrorCode::IoError, "cannot create " + lock_path(name).string() + ": " + std::strerror(errno));
    struct LockGuard {
        int fd;
        ~LockGuard() { ::close(fd); }  // releases the flock
    } guard{lock_fd};
    while (::flock(lock_fd, LOCK_EX) != 0)
        if (errno != EINTR) throw Error(ErrorCode::IoError, "cannot lock " + lock_path(name).string() + ": " + std::strerror(errno));
    if (fs::exists(path, ec)) throw Error(ErrorCode::InvalidArgument, "token '" + name + "' already exists: " + path.string());

    SystemRandom random;
    SystemClock clock;
    FileStorage storage(path);
    auto card = std::make_unique<VirtualCard>(storage, random, clock, options);
    std::array<std::uint8_t, 4> serial{};
    random.fill(serial);
    if (card->format(serial) != StorageStatus::Ok) {
        card.reset();
        remove_token(name);
        throw Error(ErrorCode::IoError, "cannot write simulator state " + path.string());
    }
    return TokenInfo{name, path, to_hex(serial, ""), options.card_type, std::nullopt};
}

void SimulatorStore::remove_token(const std::string& name) noexcept {
    if (!valid_name(name)) return;
    std::error_code ec;
    fs::remove(state_path(name), ec);
    fs::remove(lock_path(name), ec);
}

std::vector<TokenInfo> SimulatorStore::list() const {
    std::vector<TokenInfo> out;
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) return out;
    auto state = std::make_unique<CardState>();
    auto id_state = std::make_unique<IdCardState>();
    std::vector<std::uint8_t> image(kStateMaxImage);
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        const fs::path& p = entry.path();
        if (p.extension() != kExtension) continue;
        TokenInfo info{p.stem().string(), p, "", CardType::OpenPgp, std::nullopt};
        FileStorage storage(p);
        std::size_t size = 0;
        const StorageStatus st = storage.load(image, size);
        if (st != StorageStatus::Ok) {
            info.error = st == StorageStatus::TooLarge    ? "state file too large"
                         : st == StorageStatus::Corrupted ? describe(StateError::Corrupted)
                                                          : "cannot read state file";
        } else if (auto type = peek_card_type(ByteView(image.data(), size)); !type) {
            info.error = describe(type.error());
        } else if (*type != CardType::OpenPgp) {
            if (auto parsed = parse_id_state(ByteView(image.data(), size), *id_state); !parsed) {
                info.error = describe(parsed.error());
            } else {
                info.serial = to_hex(id_state->serial, "");
                info.card_type = id_state->type;
            }
        } else if (auto parsed = parse_state(ByteView(image.data(), size), *state); !parsed) {
            info.error = describe(parsed.error());
        } else {
            info.serial = to_hex(state->serial, "");
        }
        out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) { return a.name < b.name; });
    return out;
}

std::unique_ptr<InProcessTransport> SimulatorStore::open_simulator(const std::string& name, CardOptions options) const {
    if (!valid_name(name)) throw Error(ErrorCode::InvalidArgument, "invalid token name '" + name + "'");
    const fs::path path = state_path(name);
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(ErrorCode::NotFound, "no simulated token '" + name + "' in " + dir_.string());
    return std::make_unique<InProcessTransport>(path, lock_path(name), options);
}

std::unique_ptr<qscd::Transport> SimulatorStore::open(const std::string& name, CardOptions options) const {
    return open_simulator(name, options);
}

}  // namespace qscd::sim
