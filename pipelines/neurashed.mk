# Su's neurashed (the paper's §3 and appendix) reproduced with dl-neurashed.
#   make -f pipelines/neurashed.mk BIN=.build/release OUT=out        (a few seconds)
# Outputs under $(NR):
# - elasticity-fig1.tsv (eq. 3.1, Figures 1-2): LE(x, x') for every pair of fig1's
#   types after NR_LE_ITERATIONS iterations with the appendix's update rules.
# - sparsity.tsv (Figures 3-4): fig5 after NR_SPARSE_ITERATIONS iterations, batches
#   of one type against the full batch: nodes holding 90% of each level's λ.
# - theorem1.tsv (Theorem 1): ΔZ_j/ΔZ_j' on random graphs over b1, b2 and t,
#   beside (b1+b2)/b1; theorem2.tsv, .png (Theorem 2): the ratio against L.
# - information.tsv, .png (Figure 5, right): I(level; input type) and I(level; label)
#   on fig5 over NR_IB_ITERATIONS iterations (noisy-mixture estimate, dl-neurashed
#   information --help).
# - summary.tsv: the paper's claims beside ours.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
BIN ?= .build/release
OUT ?= out
NR ?= $(OUT)/neurashed
NRT := $(BIN)/dl-neurashed
NR_LE_ITERATIONS ?= 200
NR_SPARSE_ITERATIONS ?= 1000
NR_IB_ITERATIONS ?= 1000
NR_IB_EVERY ?= 10
TH1_SHARED ?= 1,2,4,8
TH1_PER_CLASS ?= 1,4,16
TH1_ROUNDS ?= 10,100,10000
TH2_LEVELS ?= 1,2,4,8,16,32,64
TH2_ROUNDS ?= 1,10,100
PLOTS ?= $(if $(shell command -v gnuplot),$(NR)/theorem2.png $(NR)/information.png,$(warning gnuplot not found: no plots))

.PHONY: all information elasticity sparsity theorem1 theorem2
all: $(NR)/summary.tsv $(PLOTS)
information: $(NR)/information.tsv
elasticity: $(NR)/elasticity-fig1.tsv
sparsity: $(NR)/sparsity.tsv
theorem1: $(NR)/theorem1.tsv
theorem2: $(NR)/theorem2.tsv

$(NR)/information.tsv: $(NRT)
	mkdir -p $(@D)
	$(NRT) information --preset fig5 -n $(NR_IB_ITERATIONS) --every $(NR_IB_EVERY) -q > $@.tmp && mv $@.tmp $@

$(NR)/information.png: $(NR)/information.tsv $(dir $(lastword $(MAKEFILE_LIST)))neurashed-information.gp
	gnuplot -e "in='$<'; out='$@'" $(dir $(lastword $(MAKEFILE_LIST)))neurashed-information.gp

$(NR)/elasticity-fig1.tsv: $(NRT)
	mkdir -p $(@D)
	$(NRT) elasticity --preset fig1 -n $(NR_LE_ITERATIONS) -q > $@.tmp && mv $@.tmp $@

$(NR)/sparsity.tsv: $(NRT)
	mkdir -p $(@D)
	{ printf 'batch\tlevel\tnodes\tnodes_90\ttop_share\teffective_nodes\n'; \
	  $(NRT) sparsity --preset fig5 -n $(NR_SPARSE_ITERATIONS) -q | tail -n +2 | sed 's/^/1\t/'; \
	  $(NRT) sparsity --preset fig5 -n $(NR_SPARSE_ITERATIONS) --full-batch -q | tail -n +2 | sed 's/^/full\t/'; } > $@.tmp && mv $@.tmp $@

$(NR)/theorem1.tsv: $(NRT)
	mkdir -p $(@D)
	$(NRT) theorem1 --grid-shared $(TH1_SHARED) --grid-per-class $(TH1_PER_CLASS) --grid-rounds $(TH1_ROUNDS) -q > $@.tmp && mv $@.tmp $@

$(NR)/theorem2.tsv: $(NRT)
	mkdir -p $(@D)
	$(NRT) theorem1 --grid-levels $(TH2_LEVELS) --grid-rounds $(TH2_ROUNDS) --grid-shared 2 --grid-per-class 3 -q > $@.tmp && mv $@.tmp $@

$(NR)/theorem2.png: $(NR)/theorem2.tsv $(dir $(lastword $(MAKEFILE_LIST)))neurashed-theorem2.gp
	gnuplot -e "in='$<'; out='$@'" $(dir $(lastword $(MAKEFILE_LIST)))neurashed-theorem2.gp

# The paper's claims beside our numbers.
$(NR)/summary.tsv: $(NR)/information.tsv $(NR)/elasticity-fig1.tsv $(NR)/sparsity.tsv $(NR)/theorem1.tsv $(NR)/theorem2.tsv
	{ printf 'claim\tpaper\tours\n'; \
	  awk -F'\t' 'NR > 1 && $$2 == 2 { if (first == "") { first = $$3; fl = $$4 } if ($$3 + 0 > peak) peak = $$3 + 0; last = $$3; ll = $$4; it = $$1 } END { \
	    printf "information bottleneck, fig5, level 2: I(T; input) at the start, its peak, at iteration %s\trises to 2 bits, falls to 1\t%s, %.4f, %s bits\n", it, first, peak, last; \
	    printf "information bottleneck, fig5, level 2: I(T; label) at the start and at iteration %s\tstays 1 bit\t%s, %s bits\n", it, fl, ll }' $(NR)/information.tsv; \
	  awk -F'\t' 'NR > 1 && $$1 == "1a" { le[$$3] = $$6 } END { \
	    printf "local elasticity, fig1, update at 1a: LE on 1b > class 2 > class 3\tsame class > similar class > other class\t%s > %s > %s\n", le["1b"], le["2"], le["3"] }' $(NR)/elasticity-fig1.tsv; \
	  awk -F'\t' 'NR > 1 && $$2 != $$4 && $$6 != "NA" { if ($$5 == 1) { s += $$6; ns++ } else { c[$$2 "-" $$4] += $$6; nc[$$2 "-" $$4]++ } } END { \
	    printf "local elasticity, fig1: mean LE class1-class2 vs class1-class3\tclasses 1-2 more than 1-3\t%.4g vs %.4g\n", c["class1-class2"] / nc["class1-class2"], c["class1-class3"] / nc["class1-class3"] }' $(NR)/elasticity-fig1.tsv; \
	  awk -F'\t' 'NR > 1 { n[$$1 "/" $$2] = $$4; m[$$2] = $$3 } END { \
	    printf "implicit regularization, fig5: nodes holding 90%% of λ on levels 1/2, batch 1 vs full batch\tsmall batches learn sparser pathways\t%s/%s vs %s/%s (of %s/%s)\n", n["1/1"], n["1/2"], n["full/1"], n["full/2"], m[1], m[2] }' $(NR)/sparsity.tsv; \
	  awk -F'\t' 'NR == FNR { if (FNR > 1 && $$6 + 0 > max) max = $$6 + 0; next } FNR > 1 && $$6 + 0 == max { \
	    printf "Theorem 1, b1 = %s, b2 = %s, t = %s: ΔZ_j/ΔZ_j'"'"'\t(b1+b2)/b1 = %s\t%s\n", $$4, $$5, $$6, $$9, $$8 }' $(NR)/theorem1.tsv $(NR)/theorem1.tsv; \
	  awk -F'\t' 'NR > 1 && $$6 == 10 { r[$$2] = $$8 } END { printf "Theorem 2, b1 = 2, b2 = 3, t = 10: ratio at L = 1, 8, 64\tgrows without bound in L\t%s, %s, %s\n", r[1], r[8], r[64] }' $(NR)/theorem2.tsv; \
	} > $@.tmp && mv $@.tmp $@
