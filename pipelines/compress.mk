# Th. 3 reproduced (dynamic quantization + Huffman coding of the weights, during
# training): the thesis' 784-392-50-10 tanh net with a linear head on one-hot
# targets (MSE), SGD, on Fashion-MNIST (the thesis used MNIST).
#   make -f pipelines/compress.mk BIN=.build/release OUT=out     (about 20 minutes on 2 cores)
# - $(TH3)/bits-per-epoch.tsv, .png (Th. Figure 3.5): N per parameter and the
#   Huffman-coded bits per parameter after every epoch, trained with
#   --quantize dynamic:c=5 and c=6 (M = 4, F = 0.03), and the unquantized
#   baseline's own weights compressed after every epoch (dl-compress series).
# - $(TH3)/sweep.tsv, .png (Th. Figure 3.4b, d): c = FLOORS at M = 4 over SEEDS:
#   final and peak test accuracy, the epoch of the peak, mean bits; and the
#   baseline's final model compressed at each c (decoded accuracy, bits).
# - $(TH3)/summary.tsv: the thesis' numbers beside ours.
# A small run (what `make test` checks): DATA_FLAGS="--shuffle --limit 1500" ARCH=784-24-10
#   EPOCHS=3 SWEEP_EPOCHS=2 SEEDS="1 2" FLOORS="4 6"

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
BIN ?= .build/release
OUT ?= out
TH3 := $(OUT)/th3
HERE := $(dir $(lastword $(MAKEFILE_LIST)))

ARCH ?= 784-392-50-10
TH3_FLAGS ?= --hidden tanh --head linear --batch-size 128 --lr 0.01 --momentum 0.9
EPOCHS ?= 100
SWEEP_EPOCHS ?= 30
SEEDS ?= 1 2 3
FLOORS ?= 3 4 5 6 7 8
DATA_FLAGS ?=
PLOTS ?= $(if $(shell command -v gnuplot),$(TH3)/bits-per-epoch.png $(TH3)/sweep.png,$(warning gnuplot not found: no plots))

RUNS := $(foreach s,$(SEEDS),$(TH3)/sweep/baseline-s$(s) $(foreach c,$(FLOORS),$(TH3)/sweep/c$(c)-s$(s)))

# Keep every trained model (make would delete the sweep's as intermediate files).
.SECONDARY:

.PHONY: all
all: $(TH3)/summary.tsv $(TH3)/bits-per-epoch.tsv $(TH3)/sweep.tsv $(PLOTS)

$(TH3)/data.h5: $(BIN)/dl-data | $(TH3)/sweep
	$(BIN)/dl-data fashion-mnist $(DATA_FLAGS) -o $@

# EPOCHS epochs: the baseline with its weights after every epoch, and c = 5, 6 quantized.
$(TH3)/baseline.h5: $(TH3)/data.h5 $(BIN)/dl-fit
	$(BIN)/dl-fit $< --arch $(ARCH) $(TH3_FLAGS) --epochs $(EPOCHS) -s 1 --snapshots -o $@
$(TH3)/c%.h5: $(TH3)/data.h5 $(BIN)/dl-fit
	$(BIN)/dl-fit $< --arch $(ARCH) $(TH3_FLAGS) --epochs $(EPOCHS) -s 1 --quantize dynamic:M=4,c=$* -o $@

# SWEEP_EPOCHS epochs per seed: the baseline and each c.
$(TH3)/sweep/baseline-s%.h5: $(TH3)/data.h5 $(BIN)/dl-fit
	$(BIN)/dl-fit $< --arch $(ARCH) $(TH3_FLAGS) --epochs $(SWEEP_EPOCHS) -s $* -q -o $@
$(TH3)/sweep/c%.h5: $(TH3)/data.h5 $(BIN)/dl-fit
	c=$$(echo $* | cut -d- -f1); s=$$(echo $* | cut -d- -f2 | tr -d s); \
	$(BIN)/dl-fit $< --arch $(ARCH) $(TH3_FLAGS) --epochs $(SWEEP_EPOCHS) -s $$s -q --quantize dynamic:M=4,c=$$c -o $@

%.log.tsv: %.h5 $(BIN)/dl-fit
	$(BIN)/dl-fit log $< -o $@

# The baseline's final model packed at each c of FLOORS: the report's total row
# (package bits, decoded accuracy); the packed files go to a temporary folder.
# (A new FLOORS needs these remade: make -B or rm $(TH3)/sweep/*.packed.tsv.)
$(TH3)/sweep/baseline-s%.packed.tsv: $(TH3)/sweep/baseline-s%.h5 $(TH3)/data.h5 $(BIN)/dl-compress
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for c in $(FLOORS); do \
	  $(BIN)/dl-compress $< -c $$c -M 4 --data $(TH3)/data.h5 --report $$tmp/r.tsv -q -o $$tmp/p.h5; \
	  awk -F'\t' -v c=$$c -v s=$* 'NR == 1 { for (i = 1; i <= NF; i++) k[$$i] = i } $$1 == "total" \
	    { print c, s, $$k["package_bits_per_param"], $$k["accuracy_original"], $$k["accuracy_decoded"] }' OFS='\t' $$tmp/r.tsv; \
	done > $@

# Figure 3.5: per epoch, for c = 5 and 6 trained quantized, and the baseline's weights compressed at c = 5.
$(TH3)/baseline.series.tsv: $(TH3)/baseline.h5 $(BIN)/dl-compress
	$(BIN)/dl-compress series $< -c 5 -M 4 -o $@
$(TH3)/bits-per-epoch.tsv: $(TH3)/c5.log.tsv $(TH3)/c6.log.tsv $(TH3)/baseline.series.tsv $(TH3)/baseline.log.tsv
	{ printf 'run\tepoch\tmean_bits\thuffman_bits\ttest_accuracy\n'; \
	  for c in 5 6; do awk -F'\t' -v r="quantized c=$$c" 'NR == 1 { for (i = 1; i <= NF; i++) k[$$i] = i; next } \
	    { print r, $$1, $$k["quantize_mean_bits"], $$k["quantize_total_bits_per_param"], $$k["test_accuracy"] }' OFS='\t' $(TH3)/c$$c.log.tsv; done; \
	  awk -F'\t' 'FNR == 1 { for (i = 1; i <= NF; i++) k[FILENAME, $$i] = i; next } \
	    FNR == NR { acc[$$1] = $$k[FILENAME, "test_accuracy"]; next } \
	    $$2 == "total" { print "baseline compressed c=5", $$1, $$k[FILENAME, "bits"], $$k[FILENAME, "stream_bits_per_param"], acc[$$1] }' \
	    OFS='\t' $(TH3)/baseline.log.tsv $(TH3)/baseline.series.tsv; } > $@

$(TH3)/sweep.tsv: $(RUNS:%=%.log.tsv) $(SEEDS:%=$(TH3)/sweep/baseline-s%.packed.tsv) $(HERE)logsummary.awk
	{ printf 'run\tseed\tepochs\tfinal_accuracy\tpeak_accuracy\tpeak_epoch\tmean_bits\tmean_huffman_bits\tposthoc_package_bits\tposthoc_accuracy\n'; \
	  for s in $(SEEDS); do \
	    awk -v run=baseline -v seed=$$s -f $(HERE)logsummary.awk $(TH3)/sweep/baseline-s$$s.log.tsv | sed 's/$$/\tNA\tNA/'; \
	    for c in $(FLOORS); do \
	      p=$$(awk -F'\t' -v c=$$c '$$1 == c { print $$3 "\t" $$5 }' $(TH3)/sweep/baseline-s$$s.packed.tsv); \
	      awk -v run=c$$c -v seed=$$s -f $(HERE)logsummary.awk $(TH3)/sweep/c$$c-s$$s.log.tsv | sed "s/\$$/\t$$p/"; \
	    done; \
	  done; } > $@
	cat $@

# The thesis' numbers (Th. 3.8–3.9, MNIST, 100 epochs) beside ours.
$(TH3)/summary.tsv: $(TH3)/baseline.log.tsv $(TH3)/c5.log.tsv $(TH3)/c6.log.tsv $(HERE)logsummary.awk $(HERE)th3summary.awk
	for r in baseline c5 c6; do awk -v run=$$r -f $(HERE)logsummary.awk $(TH3)/$$r.log.tsv; done \
	  | awk -f $(HERE)th3summary.awk > $@
	cat $@

# Figure 3.5 (bits per epoch) and Figure 3.4b, d (accuracy and bits against c).
$(TH3)/bits-per-epoch.png: $(TH3)/bits-per-epoch.tsv $(HERE)compress-bits.gp
	gnuplot -e "in='$<'; out='$@'" $(HERE)compress-bits.gp
$(TH3)/sweep.png: $(TH3)/sweep.tsv $(HERE)compress-sweep.gp
	gnuplot -e "in='$<'; out='$@'" $(HERE)compress-sweep.gp

$(TH3)/sweep:
	mkdir -p $@
