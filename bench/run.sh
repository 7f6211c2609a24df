#!/usr/bin/env bash
# make bench: every benchmark, side by side with its peer (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import h5py, numpy' 2>/dev/null || python3 -m pip install -q h5py numpy
python3 bench/pipe.py "$@"
