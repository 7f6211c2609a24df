#!/usr/bin/env python3
"""dl-measure on Fashion-MNIST: LSD per layer (Th. Figure 5.6) and its speed
against numpy.

1. Speed: `dl-measure lsd MODEL DATA` (X and every layer of the thesis baseline
   784-392-50-10 on the 60,000 training rows) against bench/lsd_numpy.py, the
   same computation with h5py + numpy.linalg.lstsq (float64 gelsd), numpy's
   OpenBLAS pinned to 2 threads as ours (its kernel is its own pick, recorded).
   Whole-process wall time and peak RSS; after a warm-up, interleaved rounds
   with the order rotating; median ratio; the LSD values of both, and their
   largest relative difference.
2. Figure 5.6: the net of the figure, 784-392-196-50-10 with ReLUs, trained with
   the baseline's SGD settings for 10 epochs with --snapshots; LSD, H(Y|Z) and
   k-redundancy (k = 10, batches of 6148) of every hidden layer after each epoch.
Writes bench/results/measure.json and prints Markdown tables."""
import argparse, json, os, re, statistics, sys

from bench_common import BIN, RESULTS, ROOT, cached, fashion_data, log, machine, python_blas, rounds, rows, run, save
FIT = "--epochs 10 --batch-size 128 --lr 0.02 --momentum 0.9 --wd 0.003 --lr-step 8:0.1 --threads 2 -q"
NUMPY_ENV = {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}

def timed(cmd, env=None):
    r = run(["/usr/bin/time", "-f", "TIME %e RSS %M"] + cmd, env=env)
    m = re.search(r"TIME ([0-9.]+) RSS (\d+)", r.stderr)
    return {"seconds": float(m.group(1)), "rss_mb": int(m.group(2)) / 1024, "stdout": r.stdout}

def table(tsv):
    """{(metric, layer, param): value} of a dl-measure TSV."""
    t = {}
    for line in tsv.strip().splitlines()[1:]:
        metric, split, layer, param, value = line.split("\t")
        t[(metric, int(layer) if layer != "NA" else None, int(param) if param != "NA" else None)] = float(value)
    return t

def model(data, arch, path, snapshots=False):
    """A model trained by dl-fit, remade when dl-fit or the data changed."""
    return cached(path, f"{BIN}/dl-fit {data} --arch {arch} {FIT}{' --snapshots' if snapshots else ''} -o {{out}}",
                  ["dl-fit"], [data])

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=5, help="interleaved rounds of the speed comparison")
    a = p.parse_args()
    data = fashion_data()
    out = {}

    # 1. Speed against numpy.
    base = model(data, "784-392-50-10", os.path.join(RESULTS, "baseline.h5"))
    info = machine()
    numpy_blas = python_blas("import numpy", NUMPY_ENV)
    log(f"CPU {info['cpu']}; dl: {info['dl']['blas']}; numpy: {numpy_blas}")
    ours_cmd = [f"{BIN}/dl-measure", "lsd", base, data, "--threads", "2", "-q"]
    numpy_cmd = [sys.executable, os.path.join(ROOT, "bench", "lsd_numpy.py"), base, data]
    timed(ours_cmd), timed(numpy_cmd, NUMPY_ENV)  # warm-up
    res = rounds(a.pairs, {"dl-measure": lambda: timed(ours_cmd), "numpy": lambda: timed(numpy_cmd, NUMPY_ENV)})
    ours = table(res["dl-measure"][-1]["stdout"])
    peer = json.loads(res["numpy"][-1]["stdout"].strip().splitlines()[-1])
    lsd_ours = [ours[("lsd", i, None)] for i in range(4)]
    rel = max(abs(x - y) / y for x, y in zip(lsd_ours, peer["lsd"]))
    t_ours = [r["seconds"] for r in res["dl-measure"]]
    t_np = [r["seconds"] for r in res["numpy"]]
    ratios = [o / n for o, n in zip(t_ours, t_np)]
    out["machine"] = info
    out["numpy_blas"] = numpy_blas
    out["speed"] = {
        "dl_measure_seconds": t_ours, "numpy_seconds": t_np,
        "time_ratio_median": round(statistics.median(ratios), 3), "time_ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
        "dl_measure_rss_mb": round(statistics.median(r["rss_mb"] for r in res["dl-measure"])),
        "numpy_rss_mb": round(statistics.median(r["rss_mb"] for r in res["numpy"])),
        "lsd_dl_measure": lsd_ours, "lsd_numpy": peer["lsd"], "rank_dl_measure": [int(ours[("feature_rank", i, None)]) for i in range(4)],
        "rank_numpy": peer["rank"], "max_relative_difference": rel, "numpy_version": peer["numpy"]}
    log(json.dumps(out["speed"]))

    # 2. Figure 5.6 on Fashion-MNIST: every hidden layer after each epoch.
    fig = model(data, "784-392-196-50-10", os.path.join(RESULTS, "fig56.h5"), snapshots=True)
    layers = "1,2,3,4"
    epochs = []
    x = table(run([f"{BIN}/dl-measure", "lsd", data, "-q"]).stdout)
    for e in range(1, 11):
        common = [fig, data, "--epoch", str(e), "--layers", layers, "-q"]
        lsd = table(run([f"{BIN}/dl-measure", "lsd", *common]).stdout)
        ent = table(run([f"{BIN}/dl-measure", "entropy", *common, "--preview-bits", "4"]).stdout)
        red = table(run([f"{BIN}/dl-measure", "redundancy", "-k", "10", "--batch", "6148", *common]).stdout)
        acc = table(run([f"{BIN}/dl-measure", "accuracy", fig, data, "--epoch", str(e), "--splits", "test", "-q"]).stdout)
        row = {"epoch": e,
               "lsd": [lsd[("lsd", i, None)] for i in range(1, 5)],
               "conditional_entropy": [ent[("conditional_entropy", i, None)] for i in range(1, 5)],
               "k10_redundancy": [red[("k_redundancy", i, 10)] for i in range(1, 5)],
               "accuracy": acc[("accuracy", None, None)]}
        epochs.append(row)
        log(json.dumps(row))
    out["figure_5_6"] = {"arch": "784-392-196-50-10", "lsd_of_X": x[("lsd", 0, None)], "epochs": epochs}
    save("measure.json", out)

    s = out["speed"]
    print(f"CPU {info['cpu']}; dl: {info['dl']['blas']}; numpy {s['numpy_version']}: "
          + ", ".join(f"{b['internal_api']} {b['version']} {b['architecture']}" for b in numpy_blas) + "\n")
    print(f"LSD of X and 3 layers, {rows(data):,} training rows: dl-measure {statistics.median(s['dl_measure_seconds']):.2f} s, "
          f"numpy {statistics.median(s['numpy_seconds']):.2f} s; median ratio {s['time_ratio_median']} "
          f"(range {s['time_ratio_range'][0]}–{s['time_ratio_range'][1]}); RSS {s['dl_measure_rss_mb']} vs {s['numpy_rss_mb']} MB; "
          f"max relative difference {s['max_relative_difference']:.1e}\n")
    print(f"Figure 5.6 on Fashion-MNIST (784-392-196-50-10; LSD of X = {x[('lsd', 0, None)]:.4f})\n")
    print("| epoch | LSD Z1 | LSD Z2 | LSD Z3 | LSD Ŷ | H(Y|Z1) | H(Y|Z2) | H(Y|Z3) | H(Y|Ŷ) | k10-red. Z1 | Z2 | Z3 | Ŷ | test acc. |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in epochs:
        cells = [f"{v:.4f}" for v in r["lsd"]] + [f"{v:.3f}" for v in r["conditional_entropy"]] \
            + [f"{100 * v:.1f}%" for v in r["k10_redundancy"]] + [f"{100 * r['accuracy']:.2f}%"]
        print(f"| {r['epoch']} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
