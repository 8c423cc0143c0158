# The two commands of README.md, and a few more for developers.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: demo test build configure bootstrap bench fuzz clean

demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target gatehouse
	@scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300 -j $(JOBS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

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
