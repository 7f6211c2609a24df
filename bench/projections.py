#!/usr/bin/env python3
"""dl-fit project (Platonic Projections, Th. 7) against the same algorithm in
numpy/scipy (bench/platonic_numpy.py, numpy's own OpenBLAS).

Workloads: the two spirals (2-32x4-2 tanh, 5 tries, pinv, float64), a 1,000-layer
sine net (1-16x1000-1 CELU, pinv, float64), and Fashion-MNIST one hidden layer of
1568 (random P, ridge 50,000, float32; Table 7.2's widest) and 784-392-50-10
deterministic (Sorted PCA, Platonic PCA, ridge 0.5, β = 10⁶, float32). Per round,
interleaved (the order rotates), each side fits once; both time the fit alone
(dl-fit's --record-time per-layer seconds; the peer's perf_counter around its
fit), not reading the data, and both carry the test split (when the data has
one) through every layer with its decision layer's MSE and accuracy. Both use 2
BLAS threads, and both drop to one for narrow nets (m·(w+1)² < 2²⁶: the spirals,
the sine), dl-fit project's own rule. Reports the median over rounds of peer
seconds / our seconds (target ≥ 1.5), with the sgemm ceiling of this run.
  bench/projections.py [--rounds 5]
Writes bench/results/projections.json and prints a markdown summary."""
import argparse, json, os, statistics, sys, tempfile
from bench_common import BIN, RESULTS, cached, log, machine, python_blas, ratio_stats, rounds, run, save, sgemm_peak

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}


def datasets():
    spirals = cached(os.path.join(RESULTS, "spirals.h5"), f"{BIN}/dl-data spirals -q -o {{out}}", ["dl-data"])
    sine = cached(os.path.join(RESULTS, "sine.h5"), f"{BIN}/dl-data sine -q -o {{out}}", ["dl-data"])
    fm = cached(os.path.join(RESULTS, "fashion-standardized.h5"), f"{BIN}/dl-data fashion-mnist --standardize -q -o {{out}}", ["dl-data"])
    return spirals, sine, fm


def workloads():
    spirals, sine, fm = datasets()
    return {
        "spirals 2-32x4-2 tanh, 5 tries, pinv f64": (spirals, "--arch 2-32x4-2 --hidden tanh --target-scale 0.1 --label-scale 10 --tries 5 --precision 64"),
        "sine 1-16x1000-1 celu, pinv f64": (sine, "--arch 1-16x1000-1 --hidden celu --target-scale 0.1 --label-scale 10 --precision 64"),
        "fashion 784-1568-10 relu, random P, ridge f32": (fm, "--arch 784-1568-10 --solver ridge --ridge 50000 --label-scale 10 --precision 32"),
        "fashion 784-392-50-10 relu, deterministic, ridge f32": (fm, "--arch 784-392-50-10 --sorted-pca --projection pca --solver ridge --ridge 0.5 --label-scale 1e6 --precision 32"),
    }


def ours(data, flags):
    with tempfile.TemporaryDirectory() as d:
        model = os.path.join(d, "m.h5")
        run([f"{BIN}/dl-fit", "project", data, *flags.split(), "--threads", "2", "--record-time", "-q", "-o", model], env=ENV)
        rows = [l.split("\t") for l in run([f"{BIN}/dl-fit", "log", model]).stdout.strip().splitlines()]
    c = {name: i for i, name in enumerate(rows[0])}
    last = rows[-1]
    return {"seconds": sum(float(r[c["seconds"]]) for r in rows[1:]), "lsd": float(last[c["lsd"]]),
            "train_accuracy": float(last[c["train_accuracy"]]) if "train_accuracy" in c else None}


def peer(data, flags):
    return json.loads(run([sys.executable, os.path.join(HERE, "platonic_numpy.py"), data, *flags.split()], env=ENV).stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    result = {"machine": machine(), "peer_blas": python_blas("import numpy, scipy.linalg", env=ENV),
              "sgemm_peak_gflops_2048": sgemm_peak([(2048, 2048, 2048)])[0], "workloads": {}}
    lines = ["| workload | dl-fit project s | numpy/scipy s | speed-up (median, range) | LSD ours / peer | train acc. ours / peer |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, (data, flags) in workloads().items():
        log(f"bench: {name}")
        r = rounds(a.rounds, {"ours": lambda: ours(data, flags), "peer": lambda: peer(data, flags)})
        o = [x["seconds"] for x in r["ours"]]
        q = [x["seconds"] for x in r["peer"]]
        s = ratio_stats(q, o)
        result["workloads"][name] = {"flags": flags, "ours": r["ours"], "peer": r["peer"], "speedup": s}
        acc = lambda x: "NA" if x["train_accuracy"] is None else f"{100 * x['train_accuracy']:.2f}%"
        lines.append(f"| {name} | {statistics.median(o):.3f} | {statistics.median(q):.3f} | {s['median']:.2f}× ({s['range'][0]:.2f}–{s['range'][1]:.2f}) "
                     f"| {r['ours'][0]['lsd']:.4g} / {r['peer'][0]['lsd']:.4g} | {acc(r['ours'][0])} / {acc(r['peer'][0])} |")
    save("projections.json", result)
    print("\n".join(lines))
    print(f"\nCPU: {result['machine']['cpu']}; sgemm 2048³ ceiling {result['sgemm_peak_gflops_2048']:.0f} GFLOP/s; ours: {result['machine']['dl']['blas']}; peer: "
          + ", ".join(f"{b['internal_api']} {b['version']} core {b['architecture']} ({b['filepath']})" for b in result["peer_blas"]))


if __name__ == "__main__":
    main()
