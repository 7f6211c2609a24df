#!/usr/bin/env python3
"""dl-neurashed train against the plain numpy update (bench/neurashed_numpy.py) on
Theorem 1's random graph: 10⁶ nodes a level, 4 levels, 2 classes, b1 = 2, b2 = 3,
batch 128, g⁺ = x + 1, g⁻ = 0.999·x. Both time the iterations alone (dl-neurashed's
--record-time step_seconds; the peer's perf_counter around its loop) and report
iterations/s; peak RSS (/usr/bin/time for ours) over the m·L nodes gives bytes a
node. Rounds interleaved, the order rotating; the ratio is the median of per-round
ratios of iterations/s (target ≥ 5).
  bench/neurashed.py [--rounds 3]
Writes bench/results/neurashed.json and prints a markdown summary."""
import argparse, json, os, statistics, subprocess, sys, tempfile
from bench_common import BIN, log, machine, ratio_stats, rounds, run, save

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = ["--nodes", "1000000", "--levels", "4", "--classes", "2", "--shared", "2", "--per-class", "3"]
RULES = ["--g-plus", "add:1", "--g-minus", "mul:0.999"]
OURS_ITERATIONS, PEER_ITERATIONS = 20000, 100


def ours():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "run.h5")
        r = run(["/usr/bin/time", "-f", "%M", f"{BIN}/dl-neurashed", "train", "--preset", "random", *SIZE, "--batch-size", "128",
                 "-n", str(OURS_ITERATIONS), "--every", str(OURS_ITERATIONS), *RULES, "--record-time", "-q", "-o", out])
        rss = int(r.stderr.strip().splitlines()[-1]) * 1024
        seconds = float(run([sys.executable, "-c", f"import h5py; print(h5py.File({out!r})['trajectory'].attrs['step_seconds'])"]).stdout)
    return {"seconds": seconds, "iterations_per_second": OURS_ITERATIONS / seconds, "peak_rss_bytes": rss, "bytes_per_node": rss / 4e6}


def peer():
    return json.loads(run([sys.executable, os.path.join(HERE, "neurashed_numpy.py"), "--batch", "128", "--iterations", str(PEER_ITERATIONS),
                           *[a for a in SIZE], *RULES]).stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    r = rounds(a.rounds, {"ours": ours, "peer": peer})
    o = [x["iterations_per_second"] for x in r["ours"]]
    q = [x["iterations_per_second"] for x in r["peer"]]
    s = ratio_stats(o, q)
    result = {"machine": machine(), "ours": r["ours"], "peer": r["peer"], "speedup": s}
    save("neurashed.json", result)
    mem = lambda side: statistics.median(x["bytes_per_node"] for x in r[side])
    print("| workload | dl-neurashed iterations/s | numpy iterations/s | speed-up (median, range) | bytes a node (peak RSS / nodes), ours / numpy |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| random graph, 10⁶ nodes × 4 levels, batch 128 | {statistics.median(o):,.0f} | {statistics.median(q):,.1f} | "
          f"{s['median']:,.0f}× ({s['range'][0]:,.0f}–{s['range'][1]:,.0f}) | {mem('ours'):.0f} / {mem('peer'):.0f} |")
    print(f"\nCPU: {result['machine']['cpu']}")


if __name__ == "__main__":
    main()
