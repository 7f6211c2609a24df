# dl — build, test, benchmark and run the default pipeline.
#   make          install missing system packages, build (release), run pipelines/default.mk
#   make test     build and run every test
#   make test-kernels   the tests under each OpenBLAS kernel this CPU runs
#   make bench    benchmarks side by side with their peers (see BENCHMARKS.md)
#   make fuzz     the packed-tensor decoder under libFuzzer (FUZZ_RUNS inputs), new finds merged into Fuzz/corpus
#   make install PREFIX=/usr/local   the tools, man pages and bash/zsh completions
#   make uninstall PREFIX=/usr/local removes exactly what install wrote

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

APT_PACKAGES := libopenblas-dev liblapacke-dev libhdf5-dev hdf5-tools zlib1g-dev pkg-config dataset-fashion-mnist gnuplot-nox
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release
OUT := out

.PHONY: all deps build test test-kernels bench fuzz clean pipeline install uninstall

PREFIX ?= /usr/local
DESTDIR ?=

all: deps build pipeline

# Installs the Debian packages that are missing (nothing when all are there).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build -c release

test: deps
	swift build -c release
	swift test -c release --disable-swift-testing --disable-testable-imports

# The suite under OpenBLAS's Prescott fallback and every better kernel the CPU
# runs (by /proc/cpuinfo flags): what docs/FORMAT.md says may differ across
# kernels is checked by the suite itself.
test-kernels: deps
	swift build -c release --build-tests
	flags=" $$(grep -m1 '^flags' /proc/cpuinfo) "; cores=Prescott; \
	has() { for f in "$$@"; do [[ "$$flags" == *" $$f "* ]] || return 1; done; }; \
	has avx && cores="$$cores Sandybridge"; has avx2 fma && cores="$$cores Haswell"; \
	has avx512f avx512bw avx512dq avx512vl && cores="$$cores SkylakeX"; \
	for c in $$cores; do echo "== OPENBLAS_CORETYPE=$$c"; \
	  OPENBLAS_CORETYPE=$$c swift test -c release --disable-swift-testing --disable-testable-imports 2>&1 | tail -1; \
	  [ $${PIPESTATUS[0]} = 0 ] || exit 1; done

bench: build
	bench/run.sh

# libFuzzer on the decoder (Fuzz/Decoder): its own build with the fuzzer and
# address sanitizers; what it finds that adds coverage is merged into the kept corpus.
FUZZ_RUNS ?= 1000000
fuzz: deps
	swift build -c release --product fuzz-decoder --build-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
	  -Xlinker --export-dynamic
	mkdir -p .build-fuzz/corpus
	.build-fuzz/release/fuzz-decoder -runs=$(FUZZ_RUNS) -max_len=8192 -print_final_stats=1 -artifact_prefix=.build-fuzz/ \
	  .build-fuzz/corpus Fuzz/corpus/decoder
	.build-fuzz/release/fuzz-decoder -merge=1 Fuzz/corpus/decoder .build-fuzz/corpus

pipeline: build
	$(MAKE) -f pipelines/default.mk BIN=$(BIN) OUT=$(OUT)

# Man pages are each tool's and subcommand's --help, verbatim (scripts/help2man.pl).
install: build
	scripts/install.sh install $(PREFIX) $(DESTDIR)

uninstall:
	scripts/install.sh uninstall $(PREFIX) $(DESTDIR)

clean:
	rm -rf .build $(OUT)
