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
# FUZZ_SECONDS on a working copy of its committed seed corpus; crashes land in
# build/fuzz/artifacts/ and stop the run. Figures: docs/reliability.md.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: deps
	cmake -S . -B build/fuzz -G Ninja -DCMAKE_C_COMPILER=clang \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_FUZZ=ON >/dev/null
	cmake --build build/fuzz --target $(FUZZ_TARGETS)
	@mkdir -p build/fuzz/artifacts; \
	for t in $(FUZZ_TARGETS); do \
	  c=$${t#fuzz_}; mkdir -p build/fuzz/corpus/$$c; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/artifacts/$$t- build/fuzz/corpus/$$c tests/fuzz/corpus/$$c \
	    >build/fuzz/$$t.log 2>&1 || { tail -60 build/fuzz/$$t.log; echo "fuzz: $$t FAILED"; exit 1; }; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/$$t.log); \
	  cov=$$(grep -o 'cov: [0-9]*' build/fuzz/$$t.log | tail -1); \
	  echo "fuzz: $$t ok: $$runs runs in $(FUZZ_SECONDS) s, $$cov, corpus $$(ls build/fuzz/corpus/$$c | wc -l)"; \
	done

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
