# Thin wrapper over CMake presets. `make demo` and `make test` are all a new user needs.
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-asan demo bench install clean fuzz fuzz-smoke crash-test stress test-valgrind \
        firmware firmware-test

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

# bench: every figure beside raw mbedTLS / SoftHSM2 / OpenSC from the same run (docs/benchmarks.md);
# the table on stdout, bench-out/results.json and bench-out/bench.png.
bench: build
	@bash bench/run.sh build bench-out

# ---- robustness (issue 6): dedicated long runs; CI runs the smoke versions -------------------
# fuzz: every libFuzzer target for FUZZ_SECONDS each (default 60); fuzz-smoke: a few seconds each.
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target fuzz_all
	@bash fuzz/run.sh build-fuzz $(or $(FUZZ_SECONDS),60)

fuzz-smoke: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target fuzz_all
	@bash fuzz/run.sh build-fuzz $(or $(FUZZ_SMOKE_SECONDS),8)

# crash-test: kill -9 at random moments during signing and PIN changes (CRASH_RUNS, default 2000).
crash-test: build
	@./build/tests/crash/crash_tests
	@bash tests/crash/kill9_test.sh build/tests/crash/kill9_driver build/tools/qscd $(or $(CRASH_RUNS),2000)

# stress: 16 processes x 1000 transactions through a private pcscd.
stress: build
	@bash tests/e2e/private_pcscd.sh -- bash tests/e2e/stress_test.sh build/tools/qscd build/tools/qscd-sim \
	  build/tests/e2e/stress_client $(or $(STRESS_CLIENTS),16) $(or $(STRESS_TRANSACTIONS),1000) $(or $(STRESS_SIGN_EVERY),4)

# test-valgrind: the interop end-to-end tests with every qscd process under valgrind.
test-valgrind: build
	@bash tests/e2e/valgrind/valgrind_test.sh build/tools/qscd build/tools/qscd-sim build/tests/e2e/pcsc_backend_tests \
	  build/tests/e2e/stress_client

# ---- the card core as Cortex-M4 firmware (issue 15, docs/firmware.md) ---------------------------------------
# firmware: builds build-firmware/qscd-card.elf (arm-none-eabi, with mbedTLS 3.6 from Debian's source package)
# and prints its flash and RAM use; firmware-test: runs it under qemu-system-arm with an APDU script and
# verifies its signature with openssl.
firmware: deps
	@bash firmware/build.sh build-firmware $(JOBS)

firmware-test: firmware
	@bash firmware/test/firmware_test.sh build-firmware/qscd-card.elf

install: build
	@cmake --install build $(if $(PREFIX),--prefix $(PREFIX))

clean:
	@rm -rf build build-asan build-fuzz build-firmware demo-out bench-out
