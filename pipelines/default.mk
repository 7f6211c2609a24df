# The default pipeline on the embedded data (Fashion-MNIST from Debian's
# dataset-fashion-mnist). Later stages (k-filter, layer-wise training,
# compression, measures) extend this chain.
#   make -f pipelines/default.mk BIN=.build/release OUT=out

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
BIN ?= .build/release
OUT ?= out

.PHONY: all
all: $(OUT)/data.info

$(OUT)/data.h5: $(BIN)/dl-data | $(OUT)
	$(BIN)/dl-data fashion-mnist -o $@

$(OUT)/data.info: $(OUT)/data.h5
	$(BIN)/dl-data info $< -o $@
	cat $@

$(OUT):
	mkdir -p $@
