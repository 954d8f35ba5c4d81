# Thin wrapper over CMake presets so a new user only needs `make run` / `make test`.
PRESET ?= release
BUILD   = build/$(PRESET)

.PHONY: all deps build run test test-asan test-tsan bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja: | deps
	cmake --preset $(PRESET) >/dev/null

build: deps $(BUILD)/build.ninja
	cmake --build --preset $(PRESET)

run: build
	@scripts/run.sh $(BUILD)

test: build
	ctest --preset $(PRESET)

test-asan:
	$(MAKE) test PRESET=asan

test-tsan:
	$(MAKE) test PRESET=tsan

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf build
