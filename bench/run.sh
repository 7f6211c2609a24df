#!/usr/bin/env bash
# make bench: every benchmark, side by side with its peer (see BENCHMARKS.md).
# DL_BENCH_BASELINE=DIR also times the dl-fit in DIR (an earlier build) in the same rounds.
# Needs PyPI's h5py, numpy, scipy, threadpoolctl, torch, faiss-cpu and zstandard for the peers
# (installed here if missing). Results: bench/results/*.json and *.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import h5py, numpy, scipy, threadpoolctl' 2>/dev/null || python3 -m pip install -q h5py numpy scipy threadpoolctl
python3 -c "import torch" 2>/dev/null || python3 -m pip install -q torch
python3 -c "import faiss" 2>/dev/null || python3 -m pip install -q faiss-cpu
python3 -c "import zstandard" 2>/dev/null || python3 -m pip install -q zstandard
mkdir -p bench/results
# What this run measures on: the CPU and the kernel our tools run.
{ date -u +%FT%TZ; .build/release/dl-fit --version; } | tee bench/results/machine.txt >&2
python3 bench/pipe.py
python3 bench/fit.py ${DL_BENCH_BASELINE:+--baseline "$DL_BENCH_BASELINE"}
python3 bench/kfilter.py
python3 bench/measure.py | tee bench/results/measure.md
python3 bench/heads.py | tee bench/results/heads.md
bench/checkerboard.sh | tee bench/results/checkerboard.md
python3 bench/layerwise.py | tee bench/results/layerwise.md
python3 bench/compress.py | tee bench/results/compress.md
python3 bench/projections.py | tee bench/results/projections.md
python3 bench/neurashed.py | tee bench/results/neurashed.md
