# Th. 7 reproduced: Platonic Projections, every layer in closed form (dl-fit project).
#   make -f pipelines/projections.mk BIN=.build/release OUT=out       (all of it: with -j2 38 minutes on a 2-core Zen 5, the 50-try deep sine 20 of them on one core)
#   make -f pipelines/projections.mk sine deep-sine spirals checkerboard table7.2 table7.3
# Outputs under $(TH7):
# - sine.tsv: 1-16-16-1 CELU on the sine (Figure 7.3's code: α = β = 1, pinv), MSE per seed, 1 and 5 tries.
# - deep-sine.tsv, .png (Figures 7.5d, 7.6): DEEP_LAYERS-layer width-16 nets, the
#   lowest MSE over the layers for 1, 5 and 50 tries, and the fit's seconds.
# - table7.1.tsv (Table 7.1): the two spirals, 2-32-32-32-32-2 tanh, accuracy mean ± sd
#   over SPIRAL_SEEDS projections for pinv / lstsq / ridge × float32 / float64 ×
#   (α, β) = (0.1, 10), (1, 2), with float32 at the default cut and at --rcond 1e-5.
# - checkerboard.tsv, checkerboard-width.tsv, .png (Th. 7.7, Figures 7.10, 7.11): a
#   BOARD_DEEP-layer net's training accuracy; 4-layer nets over widths 2 … 2048.
# - table7.2.tsv (Table 7.2): Fashion-MNIST, one hidden layer of 98 … 1568, ridge:
#   random W (ELM) and random P over FM_SEEDS seeds, Platonic PCA, Sorted PCA.
# - table7.3.tsv (Table 7.3): deterministic weighted Platonic PCA nets against
#   dl-fit's backprop on the same data, accuracy and seconds.
# - summary.tsv: the thesis' numbers beside ours.
# A small run (what `make test` checks): see Tests/EndToEndTests/PipelineTests.swift.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
BIN ?= .build/release
OUT ?= out
TH7 ?= $(OUT)/th7
HERE := $(dir $(lastword $(MAKEFILE_LIST)))
FIT := $(BIN)/dl-fit project

# Sizes (the thesis' by default).
SINE_SEEDS ?= 1 2 3 4 5 6 7 8 9 10
DEEP_LAYERS ?= 10000
DEEP_TRIES ?= 1 5 50
SPIRAL_SEEDS ?= $(shell seq 1 100)
BOARD_DEEP ?= 500
BOARD_DEEP_WIDTH ?= 300
BOARD_WIDTHS ?= 2 4 8 16 32 64 128 256 512 1024 2048
FM_WIDTHS ?= 98 196 392 784 1568
FM_SEEDS ?= $(shell seq 1 20)
FM_DATA_FLAGS ?= --standardize
SINE_DATA_FLAGS ?=
SPIRAL_DATA_FLAGS ?=
BOARD_DATA_FLAGS ?=
BACKPROP_EPOCHS ?= 10
PLOTS ?= $(if $(shell command -v gnuplot),$(TH7)/deep-sine.png $(TH7)/checkerboard-width.png,$(warning gnuplot not found: no plots))

.SECONDARY:
.PHONY: all sine deep-sine spirals spirals-1.5 checkerboard table7.2 table7.3
all: $(TH7)/summary.tsv $(PLOTS)
sine: $(TH7)/sine.tsv
deep-sine: $(TH7)/deep-sine.tsv
spirals: $(TH7)/table7.1.tsv
spirals-1.5: $(TH7)/turns-1.5/table7.1.tsv
checkerboard: $(TH7)/checkerboard.tsv $(TH7)/checkerboard-width.tsv
table7.2: $(TH7)/table7.2.tsv
table7.3: $(TH7)/table7.3.tsv

$(TH7):
	mkdir -p $@

# --- Th. 7.5: the sine -------------------------------------------------------
$(TH7)/sine.h5: $(BIN)/dl-data | $(TH7)
	$(BIN)/dl-data sine $(SINE_DATA_FLAGS) -o $@

$(TH7)/sine.tsv: $(TH7)/sine.h5 $(BIN)/dl-fit
	{ printf 'seed\tmse\tmse_5_tries\n'; for s in $(SINE_SEEDS); do \
	    one=$$($(FIT) $< --arch 1-16-16-1 --hidden celu --target-scale 1 --label-scale 1 -s $$s -q | $(BIN)/dl-fit log - | awk -F'\t' 'END { print $$5 }'); \
	    five=$$($(FIT) $< --arch 1-16-16-1 --hidden celu --target-scale 1 --label-scale 1 --tries 5 -s $$s -q | $(BIN)/dl-fit log - | awk -F'\t' 'END { print $$5 }'); \
	    printf '%s\t%s\t%s\n' $$s $$one $$five; done; } > $@.tmp && mv $@.tmp $@

# 10,000 layers of 16 (α = 0.1, β = 10: Figure 7.7's α = 1 diverges after a few
# layers), one BLAS thread (the matrices are 5000 × 17).
$(TH7)/deep-sine-n%.tsv: $(TH7)/sine.h5 $(BIN)/dl-fit
	$(FIT) $< --arch 1-16x$(DEEP_LAYERS)-1 --hidden celu --target-scale 0.1 --label-scale 10 --tries $* \
	  --threads 1 --record-time -q | $(BIN)/dl-fit log - > $@.tmp && mv $@.tmp $@

$(TH7)/deep-sine.tsv: $(foreach n,$(DEEP_TRIES),$(TH7)/deep-sine-n$(n).tsv)
	{ printf 'tries\tlayers\tlowest_mse\tat_layer\tfinal_mse\tseconds\n'; for n in $(DEEP_TRIES); do \
	    awk -v n=$$n -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } \
	      { t += $$c["seconds"]; if ($$c["layer"] < $(DEEP_LAYERS) + 1 && (best == "" || $$c["mse"] < best)) { best = $$c["mse"]; at = $$c["layer"] } last = $$c["mse"]; L = $$c["layer"] } \
	      END { printf "%s\t%d\t%.4g\t%d\t%.4g\t%.1f\n", n, L - 1, best, at, last, t }' $(TH7)/deep-sine-n$$n.tsv; done; } > $@.tmp && mv $@.tmp $@

$(TH7)/deep-sine.png: $(TH7)/deep-sine.tsv $(HERE)projections-deep.gp
	gnuplot -e "dir='$(TH7)'; tries='$(DEEP_TRIES)'" $(HERE)projections-deep.gp > $@.tmp && mv $@.tmp $@

# --- Th. 7.6: the two spirals, Table 7.1 --------------------------------------
# A configuration is ALPHA_BETA_SOLVER_PRECISION[_FLAG] with its flags below; each
# file holds a line per seed: the training accuracy, or "failed" (the error).
SPIRAL_SETTINGS := 0.1_10 1_2
SPIRAL_RUNS := pinv_32 pinv_32_cut pinv_64 lstsq_32 lstsq_32_cut lstsq_64 ridge_32 ridge_32_l1 ridge_64
SPIRAL_CONFIGS := $(foreach s,$(SPIRAL_SETTINGS),$(foreach r,$(SPIRAL_RUNS),$(s)_$(r)))
spiral_flags = $(strip --target-scale $(word 1,$(1)) --label-scale $(word 2,$(1)) --solver $(word 3,$(1)) --precision $(word 4,$(1)) \
  $(if $(filter cut,$(word 5,$(1))),--rcond 1e-5) $(if $(filter l1,$(word 5,$(1))),--ridge 1))

$(TH7)/spirals.h5: $(BIN)/dl-data | $(TH7)
	$(BIN)/dl-data spirals $(SPIRAL_DATA_FLAGS) -o $@

$(TH7)/spirals/%.txt: $(TH7)/spirals.h5 $(BIN)/dl-fit
	mkdir -p $(@D)
	for s in $(SPIRAL_SEEDS); do \
	  if $(FIT) $< --arch 2-32x4-2 --hidden tanh $(call spiral_flags,$(subst _, ,$*)) -s $$s -q > $@.$$s.h5 2> $@.err; then \
	    $(BIN)/dl-fit log $@.$$s.h5 | awk -F'\t' 'END { print 100 * $$6 }'; else echo failed; fi; rm -f $@.$$s.h5; \
	done > $@.tmp && rm -f $@.err && mv $@.tmp $@

# The same on spirals of 1.5 turns (the thesis does not say how many its have).
$(TH7)/turns-1.5/table7.1.tsv: $(BIN)/dl-data $(BIN)/dl-fit
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) BIN=$(BIN) TH7=$(TH7)/turns-1.5 SPIRAL_SEEDS="$(SPIRAL_SEEDS)" \
	  SPIRAL_DATA_FLAGS="$(SPIRAL_DATA_FLAGS) --turns 1.5" $@

$(TH7)/table7.1.tsv: $(foreach c,$(SPIRAL_CONFIGS),$(TH7)/spirals/$(c).txt) $(HERE)meansd.awk
	{ printf 'alpha\tbeta\tsolver\tprecision\tflags\truns\tfailed\tmean\tsd\n'; for c in $(SPIRAL_CONFIGS); do \
	    set -- $${c//_/ }; awk -v a=$$1 -v b=$$2 -v s=$$3 -v p=$$4 -v f="$${5:-default}" -f $(HERE)meansd.awk $(TH7)/spirals/$$c.txt; \
	  done; } > $@.tmp && mv $@.tmp $@

# --- Th. 7.7: the checkerboard --------------------------------------------------
# Deep: BOARD_DEEP hidden layers of BOARD_DEEP_WIDTH ReLUs, one try, both of
# Figure 7.10's (α, β) in float32 and float64; the training accuracy (the
# thesis: 100% for every one). Shallow: 4 layers (3 hidden) over BOARD_WIDTHS,
# 5 tries, α = 0.08, β = 200 (Figure 7.11). dl-fit's backprop beside them.
# Y is ±1 (--targets=-1,1), the thesis' y ∈ {−1, +1} (Figure 7.2): one-hot 0/1
# adds β·α·P's row of the "off" column to every pre-activation alike, a constant
# that pins ReLUs on or off (the deep net then stalls near 69%).
BOARD_TARGETS := --targets=-1,1
BOARD_DEEP_RUNS := 0.06_25_32 0.06_25_64 0.08_200_32 0.08_200_64

$(TH7)/board.h5: $(BIN)/dl-data | $(TH7)
	$(BIN)/dl-data checkerboard $(BOARD_DATA_FLAGS) -o $@

$(TH7)/board/deep-%.tsv: $(TH7)/board.h5 $(BIN)/dl-fit
	mkdir -p $(@D)
	set -- $(subst _, ,$*); $(FIT) $< --arch 2-$(BOARD_DEEP_WIDTH)x$(BOARD_DEEP)-2 --target-scale $$1 --label-scale $$2 --precision $$3 $(BOARD_TARGETS) \
	  --record-time -q | $(BIN)/dl-fit log - > $@.tmp && mv $@.tmp $@

$(TH7)/board/width-%.tsv: $(TH7)/board.h5 $(BIN)/dl-fit
	mkdir -p $(@D)
	$(FIT) $< --arch 2-$*x3-2 --tries 5 --target-scale 0.08 --label-scale 200 $(BOARD_TARGETS) --record-time -q | $(BIN)/dl-fit log - > $@.tmp && mv $@.tmp $@

# Backprop + SGD on the same board (Th. 5.4.2: it stays near chance).
$(TH7)/board/backprop.tsv: $(TH7)/board.h5 $(BIN)/dl-fit
	mkdir -p $(@D)
	$(BIN)/dl-fit $< --arch 2-300x4-2 --epochs 50 --batch-size 32 --lr 0.01 -q | $(BIN)/dl-fit log - > $@.tmp && mv $@.tmp $@

$(TH7)/checkerboard.tsv: $(foreach r,$(BOARD_DEEP_RUNS),$(TH7)/board/deep-$(r).tsv) $(TH7)/board/backprop.tsv
	{ printf 'fit\talpha\tbeta\tprecision\tlayers\ttrain_accuracy\tlowest_mse\tseconds\n'; for r in $(BOARD_DEEP_RUNS); do \
	    set -- $${r//_/ }; awk -v a=$$1 -v b=$$2 -v p=$$3 -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } \
	      { t += $$c["seconds"]; if (best == "" || $$c["mse"] < best) best = $$c["mse"]; acc = $$c["train_accuracy"]; L = $$c["layer"] } \
	      END { printf "projections\t%s\t%s\t%s\t%d\t%.2f\t%.3g\t%.1f\n", a, b, p, L, 100 * acc, best, t }' $(TH7)/board/deep-$$r.tsv; done; \
	  awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } { acc = $$c["train_accuracy"]; E = $$1 } \
	    END { printf "backprop (%d epochs)\tNA\tNA\t32\t5\t%.2f\tNA\tNA\n", E, 100 * acc }' $(TH7)/board/backprop.tsv; } > $@.tmp && mv $@.tmp $@

$(TH7)/checkerboard-width.tsv: $(foreach w,$(BOARD_WIDTHS),$(TH7)/board/width-$(w).tsv)
	{ printf 'width\tparameters\ttrain_accuracy\tmse\tseconds\n'; for w in $(BOARD_WIDTHS); do \
	    awk -v w=$$w -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } { t += $$c["seconds"]; acc = $$c["train_accuracy"]; e = $$c["mse"] } \
	      END { printf "%d\t%d\t%.2f\t%.4g\t%.2f\n", w, 2 * w * w + 7 * w + 2, 100 * acc, e, t }' $(TH7)/board/width-$$w.tsv; done; } > $@.tmp && mv $@.tmp $@

$(TH7)/checkerboard-width.png: $(TH7)/checkerboard-width.tsv $(HERE)projections-width.gp
	gnuplot -e "in='$<'" $(HERE)projections-width.gp > $@.tmp && mv $@.tmp $@

# --- Th. 7.9: Fashion-MNIST (the thesis used MNIST) ---------------------------------
# X standardized per pixel (FM_DATA_FLAGS): Sorted PCA's weights are samples, and
# on [0, 1] pixels every ReLU of the first layer would be on (a linear layer).
# One hidden ReLU layer, ridge λ = 50,000, α = 1; β = 10 for random P, 10⁴ for the
# deterministic methods (Th. 7.9.2); float32, as the thesis' GPU runs.
FM_FIT := --ridge 50000 --precision 32 --target-scale 1
FM_METHODS := elm random pca sorted

$(TH7)/fm.h5: $(BIN)/dl-data | $(TH7)
	$(BIN)/dl-data fashion-mnist $(FM_DATA_FLAGS) -o $@

# A line per seed (one for the deterministic methods): train and test accuracy.
$(TH7)/fm/%.txt: $(TH7)/fm.h5 $(BIN)/dl-fit
	mkdir -p $(@D)
	set -- $(subst _, ,$*); m=$$1; w=$$2; seeds="$(FM_SEEDS)"; [[ $$m == elm || $$m == random ]] || seeds=1; \
	if [[ $$m == pca && $$w -gt 794 ]]; then echo "NA NA" > $@; exit 0; fi; \
	for s in $$seeds; do \
	  $(FIT) $< --arch 784-$$w-10 $(FM_FIT) $$(case $$m in elm) echo --projection random-w;; random) echo --label-scale 10;; \
	    pca) echo --projection pca --label-scale 1e4;; sorted) echo --sorted-pca --label-scale 1e4;; esac) -s $$s -q \
	    | $(BIN)/dl-fit log - | awk -F'\t' 'END { print 100 * $$6, 100 * $$8 }'; \
	done > $@.tmp && mv $@.tmp $@

FM_RUNS := $(foreach m,$(FM_METHODS),$(foreach w,$(FM_WIDTHS),$(m)_$(w)))
$(TH7)/table7.2.tsv: $(foreach r,$(FM_RUNS),$(TH7)/fm/$(r).txt)
	{ printf 'method\twidth\truns\ttrain_mean\ttrain_sd\ttest_mean\ttest_sd\n'; for r in $(FM_RUNS); do \
	    set -- $${r//_/ }; awk -v m=$$1 -v w=$$2 '$$1 == "NA" { na = 1; next } { n++; a += $$1; aa += $$1 * $$1; b += $$2; bb += $$2 * $$2 } \
	      END { if (na) { printf "%s\t%s\t0\tNA\tNA\tNA\tNA\n", m, w; exit } \
	        ma = a / n; mb = b / n; va = aa / n - ma * ma; vb = bb / n - mb * mb; \
	        printf "%s\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\n", m, w, n, ma, sqrt(va > 0 ? va : 0), mb, sqrt(vb > 0 ? vb : 0) }' $(TH7)/fm/$$r.txt; \
	  done; } > $@.tmp && mv $@.tmp $@

# Table 7.3: deterministic Platonic Projections (Sorted PCA, then weighted
# Platonic PCA with λ_EMA = 0.2), ridge with the thesis' λ for these widths,
# β = 10⁶; against dl-fit's backprop of 7.9.1 (10 epochs, SGD, lr 0.02, wd 0.003,
# momentum 0.9, lr ÷ 10 after epoch 8). Seconds: the fit (or training) alone.
FM_DEEP := 392-50_0.5 784-392_0.03 1568-1200-1000_0.01
$(TH7)/fm/deep-%.tsv: $(TH7)/fm.h5 $(BIN)/dl-fit
	mkdir -p $(@D)
	set -- $(subst _, ,$*); $(FIT) $< --arch 784-$$1-10 --deterministic --ema 0.2 --ridge $$2 --label-scale 1e6 --precision 32 \
	  --record-time -q | $(BIN)/dl-fit log - > $@.tmp && mv $@.tmp $@

$(TH7)/fm/backprop.tsv: $(TH7)/fm.h5 $(BIN)/dl-fit
	mkdir -p $(@D)
	$(BIN)/dl-fit $< --arch 784-392-50-10 --epochs $(BACKPROP_EPOCHS) --batch-size 128 --lr 0.02 --wd 0.003 --momentum 0.9 --lr-step 8:0.1 \
	  --record-time -q | $(BIN)/dl-fit log - > $@.tmp && mv $@.tmp $@

$(TH7)/table7.3.tsv: $(foreach d,$(FM_DEEP),$(TH7)/fm/deep-$(d).tsv) $(TH7)/fm/backprop.tsv
	{ printf 'fit\thidden\tridge\tparameters\tseconds\ttrain_mse\ttest_mse\ttrain_accuracy\ttest_accuracy\n'; for d in $(FM_DEEP); do \
	    set -- $${d//_/ }; awk -v h=$$1 -v l=$$2 -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; prev = 784; next } \
	      { t += $$c["seconds"]; p += (prev + 1) * $$c["width"]; prev = $$c["width"]; r = $$0 } \
	      END { split(r, f, "\t"); printf "projections\t%s\t%s\t%d\t%.2f\t%.3g\t%.3g\t%.2f\t%.2f\n", h, l, p, t, f[c["mse"]], f[c["test_mse"]], 100 * f[c["train_accuracy"]], 100 * f[c["test_accuracy"]] }' $(TH7)/fm/deep-$$d.tsv; done; \
	  awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } { t += $$c["seconds"]; r = $$0 } \
	    END { split(r, f, "\t"); printf "backprop (%d epochs)\t392-50\t0.003 (wd)\t%d\t%.2f\tNA\tNA\t%.2f\t%.2f\n", NR - 1, 784 * 392 + 392 + 392 * 50 + 50 + 50 * 10 + 10, t, 100 * f[c["train_accuracy"]], 100 * f[c["test_accuracy"]] }' $(TH7)/fm/backprop.tsv; } > $@.tmp && mv $@.tmp $@

# --- The thesis' numbers beside ours --------------------------------------------
# The thesis' MNIST rows stand beside our Fashion-MNIST ones (different data).
$(TH7)/summary.tsv: $(TH7)/sine.tsv $(TH7)/deep-sine.tsv $(TH7)/table7.1.tsv $(TH7)/turns-1.5/table7.1.tsv $(TH7)/checkerboard.tsv $(TH7)/checkerboard-width.tsv \
		$(TH7)/table7.2.tsv $(TH7)/table7.3.tsv $(HERE)projections-summary.awk
	awk -f $(HERE)projections-summary.awk $(filter %.tsv,$^) > $@.tmp && mv $@.tmp $@
