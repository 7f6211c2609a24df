# The default pipeline on the embedded data (Fashion-MNIST from Debian's
# dataset-fashion-mnist): load → k-filter the training set → layer-wise training
# (Th. 6), a make target per layer, each on the features of the layer below →
# stack the layers into out/model.h5 → compress its weights (Th. 3) into
# out/model.packed.h5 and decode them (out/model.decoded.h5, out/compress.tsv) →
# evaluate both → measure every layer (LSD,
# k-redundancy, H(Y|Z), weight entropy, stable rank) → plot them (out/layers.png,
# out/layerwise.png). The same net trained by full backprop (dl-fit) is
# out/backprop.h5, evaluated beside it, its weights compressed after every epoch
# (out/backprop.series.tsv, out/bits-per-epoch.png).
#   make -f pipelines/default.mk BIN=.build/release OUT=out
# A small run (what `make test` checks): DATA_FLAGS="--shuffle --limit 3000" etc.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
BIN ?= .build/release
OUT ?= out

# The thesis' MNIST baseline (Th. 7.9.1): 784-392-50-10 ReLU MLP, softmax +
# cross-entropy, SGD with momentum 0.9, batch 128, lr 0.02 divided by 10 after
# epoch 8, weight decay 0.003, 10 epochs.
ARCH ?= 784-392-50-10
FIT_FLAGS ?= --epochs 10 --batch-size 128 --lr 0.02 --momentum 0.9 --wd 0.003 --lr-step 8:0.1

# Layer-wise: the same settings for each layer, lr × 0.8^j and wd × 1.15^j at layer j + 1 (Th. Table 6.3).
LAYERWISE_FLAGS ?= $(FIT_FLAGS)

# k-filtering as the thesis ran it for Table 5.1: k = 10 within batches of 6148.
KFILTER_FLAGS ?= -k 10 --batch 6148

# dl-data options (e.g. --limit N for a quick run).
DATA_FLAGS ?=

# The measures, on the full training split (Th. 5.3–5.5): k-redundancy for the
# k of Table 5.1 within the same batches; weight entropy over 2^4 and 2^8 bins.
MEASURE_FLAGS ?= --splits train
REDUNDANCY_FLAGS ?= -k 5,10,20 --batch 6148
ENTROPY_FLAGS ?= --preview-bits 4,8
MEASURES := lsd redundancy entropy rank accuracy

# Plots need gnuplot (Debian's gnuplot-nox; `make deps` installs it).
HERE := $(dir $(lastword $(MAKEFILE_LIST)))
PLOTS ?= $(if $(shell command -v gnuplot),$(OUT)/layers.png $(OUT)/layerwise.png $(OUT)/bits-per-epoch.png,$(warning gnuplot not found: no plots))

# Hidden layers 1 … k−1 of ARCH; what layer i trains on: the filtered data, or
# the features of layer i − 1.
LAYERS := $(shell seq 1 $$(( $(words $(subst -, ,$(ARCH))) - 2 )))
input = $(if $(filter 1,$1),$(OUT)/filtered.h5,$(OUT)/features/layer-$(word $1,0 $(LAYERS)).h5)
LAYER_FILES := $(LAYERS:%=$(OUT)/layers/layer-%.h5)
FEATURE_FILES := $(LAYERS:%=$(OUT)/features/layer-%.h5)

.PHONY: all
all: $(OUT)/data.info $(FEATURE_FILES) $(OUT)/model.eval.tsv $(OUT)/model.decoded.eval.tsv $(OUT)/backprop.eval.tsv $(OUT)/backprop.series.tsv $(OUT)/measures.tsv $(PLOTS)

$(OUT)/data.h5: $(BIN)/dl-data | $(OUT)
	$(BIN)/dl-data fashion-mnist $(DATA_FLAGS) -o $@

$(OUT)/data.info: $(OUT)/data.h5
	$(BIN)/dl-data info $< -o $@
	cat $@

# /train without its k-redundant samples (/test untouched).
$(OUT)/filtered.h5: $(OUT)/data.h5 $(BIN)/dl-kfilter
	$(BIN)/dl-kfilter $(KFILTER_FLAGS) $< -o $@

# Layer i trains on the features of layer i − 1 (layer 1 on the filtered data)
# and writes its model file and its own features Z_i: one recipe, two targets.
.SECONDEXPANSION:
$(OUT)/layers/layer-%.h5 $(OUT)/features/layer-%.h5: $$(call input,$$*) $(BIN)/dl-layerwise | $(OUT)/layers $(OUT)/features
	$(BIN)/dl-layerwise step --arch $(ARCH) --layer $* $(LAYERWISE_FLAGS) $< \
	  --features $(OUT)/features/layer-$*.h5 --report $(OUT)/layers/layer-$*.tsv -o $(OUT)/layers/layer-$*.h5

# The layers joined into one model file in dl-fit's format, with the per-layer log.
$(OUT)/model.h5 $(OUT)/layerwise.tsv: $(LAYER_FILES) $(BIN)/dl-layerwise
	$(BIN)/dl-layerwise stack $(LAYER_FILES) --report $(OUT)/layerwise.tsv -o $(OUT)/model.h5

# The model's weights through Th. Algorithm 1 (dl-compress; COMPRESS_FLAGS e.g.
# "-c 6" or "--fixed 8"), the per-tensor report with the original's and the
# decoded model's test accuracy and loss, and Algorithm 2 back to a model.
COMPRESS_FLAGS ?=
$(OUT)/model.packed.h5 $(OUT)/compress.tsv: $(OUT)/model.h5 $(OUT)/data.h5 $(BIN)/dl-compress
	$(BIN)/dl-compress $(OUT)/model.h5 $(COMPRESS_FLAGS) --data $(OUT)/data.h5 --report $(OUT)/compress.tsv -o $(OUT)/model.packed.h5
	cat $(OUT)/compress.tsv

$(OUT)/model.decoded.h5: $(OUT)/model.packed.h5 $(BIN)/dl-compress
	$(BIN)/dl-compress -d $< -o $@

# The same net by full backprop, for comparison, with its weights after every
# epoch; their bits per parameter epoch by epoch (Th. Figure 3.5).
$(OUT)/backprop.h5: $(OUT)/filtered.h5 $(BIN)/dl-fit
	$(BIN)/dl-fit $< --arch $(ARCH) $(FIT_FLAGS) --snapshots -o $@

$(OUT)/backprop.series.tsv: $(OUT)/backprop.h5 $(BIN)/dl-compress
	$(BIN)/dl-compress series $< $(COMPRESS_FLAGS) -o $@

# Loss and accuracy of the models on every split of the full data.
$(OUT)/%.eval.tsv: $(OUT)/%.h5 $(OUT)/data.h5
	$(BIN)/dl-fit eval $^ -o $@
	cat $@

# One tidy table per measure (metric, split, layer, param, value), then all in one.
$(OUT)/lsd.tsv: $(OUT)/model.h5 $(OUT)/data.h5 $(BIN)/dl-measure
	$(BIN)/dl-measure lsd $(OUT)/model.h5 $(OUT)/data.h5 $(MEASURE_FLAGS) -o $@

$(OUT)/redundancy.tsv: $(OUT)/model.h5 $(OUT)/data.h5 $(BIN)/dl-measure
	$(BIN)/dl-measure redundancy $(REDUNDANCY_FLAGS) $(OUT)/model.h5 $(OUT)/data.h5 $(MEASURE_FLAGS) -o $@

$(OUT)/entropy.tsv: $(OUT)/model.h5 $(OUT)/data.h5 $(BIN)/dl-measure
	$(BIN)/dl-measure entropy $(ENTROPY_FLAGS) $(OUT)/model.h5 $(OUT)/data.h5 $(MEASURE_FLAGS) -o $@

$(OUT)/rank.tsv: $(OUT)/model.h5 $(BIN)/dl-measure
	$(BIN)/dl-measure rank $(OUT)/model.h5 -o $@

$(OUT)/accuracy.tsv: $(OUT)/model.h5 $(OUT)/data.h5 $(BIN)/dl-measure
	$(BIN)/dl-measure accuracy $(OUT)/model.h5 $(OUT)/data.h5 -o $@

$(OUT)/measures.tsv: $(MEASURES:%=$(OUT)/%.tsv)
	{ head -n 1 $<; for f in $^; do tail -n +2 $$f; done; } > $@
	cat $@

# LSD, k-redundancy and H(Y|Z) against the layer (Th. Figures 5.6, 5.14, 5.21).
$(OUT)/layers.png: $(OUT)/measures.tsv $(HERE)layers.gp
	gnuplot -e "in='$<'; net='$(ARCH)'; out='$@'" $(HERE)layers.gp

# Each subnet's test accuracy and the LSD of its layer's features (Th. 6, Fig. 5.6).
$(OUT)/layerwise.png: $(OUT)/layerwise.tsv $(OUT)/lsd.tsv $(HERE)layerwise.gp
	gnuplot -e "acc='$<'; lsd='$(OUT)/lsd.tsv'; out='$@'" $(HERE)layerwise.gp

# N and the Huffman-coded bits per parameter of backprop's weights after every epoch.
$(OUT)/bits-per-epoch.png: $(OUT)/backprop.series.tsv $(HERE)series.gp
	gnuplot -e "in='$<'; net='$(ARCH)'; flags='$(COMPRESS_FLAGS)'; out='$@'" $(HERE)series.gp

$(OUT) $(OUT)/layers $(OUT)/features:
	mkdir -p $@
