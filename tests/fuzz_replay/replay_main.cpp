// Replays fuzz inputs as regression tests: one fuzz target's LLVMFuzzerTestOneInput (fuzz/<target>.cpp,
// built with the ordinary compiler, no libFuzzer) is fed every regular file of the given directories,
// in name order. A target reports a finding by aborting (its invariant checks, an escaping exception,
// a sanitizer under the asan preset), which fails the test; the file being replayed is printed first.
//   fuzz_replay_<target> [--optional] DIR...
// A directory must exist and hold at least one input, so a lost corpus cannot pass as "nothing failed";
// after --optional, directories may be missing or empty (crash reproducers: fuzz/regressions/<target>).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    bool optional = false;
    std::size_t total = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--optional") {
            optional = true;
            continue;
        }
        const std::filesystem::path dir = arg;
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            if (optional) continue;
            std::fprintf(stderr, "fuzz replay: %s is not a directory\n", dir.c_str());
            return 1;
        }
        const auto files = inputs_in(dir);
        if (files.empty() && !optional) {
            std::fprintf(stderr, "fuzz replay: no inputs in %s\n", dir.c_str());
            return 1;
        }
        for (const auto& file : files) {
            std::fprintf(stderr, "fuzz replay: %s\n", file.c_str());
            std::ifstream in(file, std::ios::binary);
            const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (!in.good() && !in.eof()) {
                std::fprintf(stderr, "fuzz replay: cannot read %s\n", file.c_str());
                return 1;
            }
            // libFuzzer hands a non-null pointer even for an empty input.
            static const std::uint8_t kEmpty = 0;
            LLVMFuzzerTestOneInput(data.empty() ? &kEmpty : data.data(), data.size());
        }
        std::printf("fuzz replay: %zu inputs from %s\n", files.size(), dir.c_str());
        total += files.size();
    }
    if (total == 0) {
        std::fprintf(stderr, "fuzz replay: no inputs replayed\n");
        return 1;
    }
    std::printf("fuzz replay: %zu inputs replayed, no finding\n", total);
    return 0;
}
