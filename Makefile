# Thin wrapper over CMake presets. `make demo` and `make test` are all a new user needs.
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-asan demo bench install clean fuzz fuzz-smoke crash-test stress test-valgrind

all: build

deps:
	@bash cmake/deps.sh

build: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)

test: build
	@ctest --preset default -j $(JOBS)

# The whole suite once more under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs both).
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

demo: build
	@bash tools/demo.sh build

bench: build
	@./build/bench/sign_bench
	@bash bench/pcsc_bench.sh build

# ---- robustness (issue 6): dedicated long runs; CI runs the smoke versions -------------------
# fuzz: every libFuzzer target for FUZZ_SECONDS each (default 60); fuzz-smoke: a few seconds each.
fuzz: deps
	@echo "fuzz: not yet"

fuzz-smoke: deps
	@echo "fuzz-smoke: not yet"

# crash-test: kill -9 at random moments during signing and PIN changes (CRASH_RUNS, default 2000).
crash-test: build
	@echo "crash-test: not yet"

# stress: 16 processes x 1000 transactions through a private pcscd.
stress: build
	@echo "stress: not yet"

# test-valgrind: the interop end-to-end tests with every qscd process under valgrind.
test-valgrind: build
	@echo "test-valgrind: not yet"

install: build
	@cmake --install build $(if $(PREFIX),--prefix $(PREFIX))

clean:
	@rm -rf build build-asan demo-out
