# Thin wrapper over CMake presets so a new user only needs `make run` / `make test`.
PRESET ?= release
BUILD   = build/$(PRESET)

.PHONY: all deps build run test test-asan test-tsan test-chaos bench bench-replication bench-cluster fuzz install deb clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja: | deps
	cmake --preset $(PRESET) >/dev/null

build: deps $(BUILD)/build.ninja
	cmake --build --preset $(PRESET)

# Only what it runs: berthd and berth, not the tests, examples and benchmarks.
run: deps $(BUILD)/build.ninja
	cmake --build --preset $(PRESET) --target berthd berth
	@scripts/run.sh $(BUILD)

test: build
	ctest --preset $(PRESET)

test-asan:
	$(MAKE) test PRESET=asan

test-tsan:
	$(MAKE) test PRESET=tsan

# The chaos tests (tests/slow) at full size; `make test` runs them smaller. Each test's
# figures line (jobs, kills, max requeue delay, lost = 0 ...) is printed at the end.
test-chaos: build
	BERTH_CHAOS_SCALE=full ctest --preset $(PRESET) -L slow
	@grep -h '^chaos' $(BUILD)/Testing/Temporary/LastTest.log || true

bench: build
	@scripts/bench.sh $(BUILD)

# REPLICATION against skopeo copy between local registries (50, 200, 500 MiB images; minutes).
bench-replication: build
	@bench/replication.sh $(BUILD)

# 3 namespaces on a 3-master Redis Cluster against 1 namespace on 1 Redis (drain, Redis CPU).
bench-cluster: build
	@bench/cluster.sh $(BUILD)

# libFuzzer targets (tests/fuzz/fuzz_*.c) built with clang in build/fuzz, each run for
# FUZZ_SECONDS on a working copy of its committed seed corpus, FUZZ_JOBS at a time (one
# core each; default the core count) by scripts/fuzz.sh; crashes land in
# build/fuzz/artifacts/ and stop the run. Figures: docs/reliability.md.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= $(shell nproc)
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: deps
	cmake -S . -B build/fuzz -G Ninja -DCMAKE_C_COMPILER=clang \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_FUZZ=ON >/dev/null
	cmake --build build/fuzz --target $(FUZZ_TARGETS)
	@scripts/fuzz.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

# Installs berthd, berth, libberth, headers, berth.pc, man pages, /etc/berth/config.yml and
# berthd.service (docs/install.md). PREFIX is written into the configured files, so it is
# set at configure time (only those files are regenerated: nothing is recompiled);
# DESTDIR stages the tree elsewhere, e.g. make install PREFIX=/usr DESTDIR=/tmp/stage.
PREFIX ?= /usr/local
install: deps
	cmake --preset $(PRESET) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build --preset $(PRESET) --target berthd berth berth_static berth_shared
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

# build/berth_<version>_<arch>.deb, built in build/deb with prefix /usr (scripts/deb.sh).
deb: deps
	@scripts/deb.sh build/deb build

clean:
	rm -rf build
