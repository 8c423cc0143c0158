# The two commands of README.md, and a few more for developers.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: demo test build configure release bootstrap bench fuzz clean

demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target gatehouse
	@scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300 -j $(JOBS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Warnings are errors for developers and CI; a plain `cmake` build (a user's) keeps them warnings.
configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_WERROR=ON

# Release with everything (tests, benchmarks) and warnings as errors: CI builds it too, since
# GCC warns differently at -O3 (a -Wrestrict false positive once broke only this build).
RELEASE_BUILD ?= build-release
release:
	cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_WERROR=ON
	cmake --build $(RELEASE_BUILD) -j $(JOBS)

bootstrap:
	@scripts/bootstrap.sh

bench: build
	$(BUILD)/bench/bench_routing --benchmark_min_time=0.2
	$(BUILD)/bench/bench_compile_rss

# A long libFuzzer run (the test suite runs a short one). FUZZ_SECONDS=3600 make fuzz
FUZZ_SECONDS ?= 600
fuzz: build
	scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)
