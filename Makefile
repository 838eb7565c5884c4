# Thin wrapper over CMake presets. `make demo` and `make test` are all a new user needs.
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-asan demo bench install clean

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

install: build
	@cmake --install build $(if $(PREFIX),--prefix $(PREFIX))

clean:
	@rm -rf build build-asan demo-out
