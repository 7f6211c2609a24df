# The default pipeline on the embedded data (Fashion-MNIST from Debian's
# dataset-fashion-mnist): load → k-filter the training set → fit → evaluate.
# Later stages (layer-wise training, compression, measures) extend this chain.
#   make -f pipelines/default.mk BIN=.build/release OUT=out

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
BIN ?= .build/release
OUT ?= out

# The thesis' MNIST baseline (Th. 7.9.1): 784-392-50-10 ReLU MLP, softmax +
# cross-entropy, SGD with momentum 0.9, batch 128, lr 0.02 divided by 10 after
# epoch 8, weight decay 0.003, 10 epochs.
FIT_FLAGS ?= --arch 784-392-50-10 --epochs 10 --batch-size 128 --lr 0.02 --momentum 0.9 --wd 0.003 --lr-step 8:0.1

# k-filtering as the thesis ran it for Table 5.1: k = 10 within batches of 6148.
KFILTER_FLAGS ?= -k 10 --batch 6148

.PHONY: all
all: $(OUT)/data.info $(OUT)/model.eval.tsv

$(OUT)/data.h5: $(BIN)/dl-data | $(OUT)
	$(BIN)/dl-data fashion-mnist -o $@

$(OUT)/data.info: $(OUT)/data.h5
	$(BIN)/dl-data info $< -o $@
	cat $@

# /train without its k-redundant samples (/test untouched).
$(OUT)/filtered.h5: $(OUT)/data.h5 $(BIN)/dl-kfilter
	$(BIN)/dl-kfilter $(KFILTER_FLAGS) $< -o $@

$(OUT)/model.h5: $(OUT)/filtered.h5 $(BIN)/dl-fit
	$(BIN)/dl-fit $< $(FIT_FLAGS) -o $@

# Loss and accuracy of the model on every split of the full data.
$(OUT)/model.eval.tsv: $(OUT)/model.h5 $(OUT)/data.h5
	$(BIN)/dl-fit eval $^ -o $@
	cat $@

$(OUT):
	mkdir -p $@
