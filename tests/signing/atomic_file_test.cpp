// Atomic outputs: only a regular file is ever replaced; an output is reserved (and fails) before the
// work that produces it; errors name the output, never the temporary; nothing is left behind.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>

#include "qscd/atomic_file.hpp"
#include "qscd/error.hpp"
#include "signing_test_support.hpp"

using namespace qscd;
namespace fs = std::filesystem;

namespace {

std::size_t entries(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++n;
    }
    return n;
}

std::string text_of(const fs::path& path) {
    const Bytes data = read_file(path);
    return std::string(data.begin(), data.end());
}

ErrorCode code_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error");
    return ErrorCode::IoError;
}

}  // namespace

TEST_CASE("atomic file: only a regular file is replaced, even when replacing is allowed", "[signing][atomic_file]") {
    test::TempDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    fs::create_directory(dir / "sub");
    fs::create_directory_symlink(dir / "sub", dir / "link-to-sub");
    for (const char* name : {"fifo", "sub", "link-to-sub"}) {
        INFO(name);
        CHECK(code_of([&] { write_file_atomic(dir / name, as_bytes("x"), 0644); }) == ErrorCode::InvalidArgument);
        CHECK(code_of([&] { PendingFile(dir / name, 0644, true); }) == ErrorCode::InvalidArgument);
    }
    CHECK(fs::is_fifo(dir / "fifo"));
    CHECK(fs::is_symlink(dir / "link-to-sub"));
    CHECK(fs::is_empty(dir / "sub"));
    CHECK(entries(dir.path()) == 3);  // no temporary left

    test::write_text(dir / "old", "old");
    write_file_atomic(dir / "old", as_bytes("new"), 0644);
    CHECK(text_of(dir / "old") == "new");
}

TEST_CASE("atomic file: an output is checked before the work, and errors name it, not a temporary", "[signing][atomic_file]") {
    test::TempDir dir;
    const fs::path unwritable = dir / "missing" / "out.p7s";
    try {
        PendingFile reserved(unwritable, 0644, false);
        FAIL("a file in a missing directory was reserved");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::IoError);
        CHECK(std::string(e.what()).find(unwritable.string()) != std::string::npos);
        CHECK(std::string(e.what()).find(".tmp") == std::string::npos);
    }
    {
        PendingFile abandoned(dir / "out.p7s", 0644, false);  // the card refused: never committed, nothing left
    }
    CHECK(entries(dir.path()) == 0);

    PendingFile reserved(dir / "out.p7s", 0640, false);
    PendingFile moved(std::move(reserved));
    moved.commit(as_bytes("signature"));
    CHECK(text_of(dir / "out.p7s") == "signature");
    struct stat st {};
    REQUIRE(::stat((dir / "out.p7s").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    CHECK(entries(dir.path()) == 1);
}

TEST_CASE("atomic file: without replace, a file that appeared while the work ran is kept", "[signing][atomic_file]") {
    test::TempDir dir;
    PendingFile reserved(dir / "out.p7s", 0644, false);
    test::write_text(dir / "out.p7s", "someone else's");
    CHECK(code_of([&] { reserved.commit(as_bytes("ours")); }) == ErrorCode::InvalidArgument);
    CHECK(text_of(dir / "out.p7s") == "someone else's");
    CHECK(entries(dir.path()) == 1);
    CHECK(code_of([&] { PendingFile(dir / "out.p7s", 0644, false); }) == ErrorCode::InvalidArgument);
}

TEST_CASE("atomic file: read_file tells a missing file from a directory", "[signing][atomic_file]") {
    test::TempDir dir;
    CHECK(code_of([&] { read_file(dir / "nothing"); }) == ErrorCode::NotFound);
    CHECK(code_of([&] { read_file(dir.path()); }) == ErrorCode::InvalidArgument);
    CHECK(file_kind(dir.path()) == FileKind::Directory);
    CHECK(file_kind(dir / "nothing") == FileKind::Missing);
    test::write_text(dir / "a", "a");
    fs::create_hard_link(dir / "a", dir / "b");
    CHECK(same_file(dir / "a", dir / "b"));
    CHECK(same_file(dir / "a", dir.path() / "." / "a"));
    CHECK_FALSE(same_file(dir / "a", dir / "nothing"));
}
