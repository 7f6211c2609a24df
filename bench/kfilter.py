#!/usr/bin/env python3
"""dl-kfilter against FAISS (../shared/bench/peers/faiss_kfilter.py, IndexFlatL2).

Th. Table 5.1 on Fashion-MNIST: k = 5, 10, 20 within consecutive batches of 6148
rows; kept fractions beside the thesis' 42%, 56%, 69%, and whether both tools
keep exactly the same rows (SHA-256 of the kept original indices as
little-endian int64).

FAISS bundles its own OpenBLAS, whose kernel pick may be a fallback on this CPU.
It runs as installed and at its best: a first round times it under each kernel
this CPU supports (OPENBLAS_CORETYPE), and the fastest is "FAISS best". Each
side's kernel is printed and recorded.

Speed: after a warm-up, interleaved rounds (order rotating) of dl-kfilter, FAISS
as installed and FAISS best. Reported: the kNN + filter time each tool reports
(loading excluded on both sides) and dl-kfilter's whole process (read, kNN,
write; /usr/bin/time) against FAISS's in-process time; medians of per-round
ratios. Whole-set mode (60,000 rows, no batches, k = 10): the same, fewer rounds.
Last, the baseline net trained on the k = 10 filtered set and on the full set
(10 epochs, test accuracy). Writes bench/results/kfilter.json."""
import argparse, hashlib, json, os, re, statistics, sys, tempfile
import h5py, numpy as np

from bench_common import (BIN, PEERS, RESULTS, best_openblas_cores, cached, fashion_data, log, machine, python_blas,
                          ratio_stats, rounds, rows, run, save)

THESIS = {5: 0.42, 10: 0.56, 20: 0.69}


def ours(data, m, k, batch, out):
    cmd = ["/usr/bin/time", "-f", "TIME %e RSS %M", f"{BIN}/dl-kfilter", "-k", str(k), data, "--threads", "2", "-o", out]
    if batch:
        cmd += ["--batch", str(batch)]
    r = run(cmd)
    t = re.search(r"TIME ([0-9.]+) RSS (\d+)", r.stderr)
    with h5py.File(out) as f:
        idx = np.asarray(f["train/index"]).astype("<i8")
    return {"seconds": float(re.search(r"in ([0-9.]+)s;", r.stderr).group(1)), "process_seconds": float(t.group(1)),
            "rss_mb": int(t.group(2)) / 1024, "kept_fraction": len(idx) / m, "sha256": hashlib.sha256(idx.tobytes()).hexdigest()}


def faiss(data, k, batch, core=None):
    r = run(["/usr/bin/time", "-f", "RSS %M", sys.executable, "faiss_kfilter.py", "--data", data, "-k", str(k),
             "--batch", str(batch or 0), "--threads", "2"], env={"OPENBLAS_CORETYPE": core} if core else None, cwd=PEERS)
    j = json.loads(r.stdout.strip().splitlines()[-1])
    return {"seconds": j["seconds"], "kept_fraction": j["kept_fraction"], "sha256": j["kept_sha256"],
            "rss_mb": int(re.search(r"RSS (\d+)", r.stderr).group(1)) / 1024, "version": j["version"]}


def compare(res, base="faiss-best"):
    o = res["dl-kfilter"]
    return {"knn_time_vs_" + base: ratio_stats([r["seconds"] for r in o], [r["seconds"] for r in res[base]]),
            "process_time_vs_" + base + "_in_process": ratio_stats([r["process_seconds"] for r in o],
                                                                   [r["seconds"] for r in res[base]])}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per k (batched)")
    p.add_argument("--whole-rounds", type=int, default=3, help="interleaved rounds of the whole-set run")
    a = p.parse_args()
    data = fashion_data()
    m = rows(data)
    info = machine()
    faiss_default = python_blas("import faiss")
    log(f"CPU {info['cpu']}; dl: {info['dl']['blas']}; FAISS's OpenBLAS as installed: {faiss_default}")
    out = {"machine": info, "faiss_blas_as_installed": faiss_default}
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "f.h5")
        # Which kernel is FAISS's best here: one timing under each candidate.
        trial = {"as installed": faiss(data, 10, 6148)["seconds"]}
        for core in best_openblas_cores():
            trial[core] = faiss(data, 10, 6148, core)["seconds"]
        best = min(trial, key=trial.get)
        best_core = None if best == "as installed" else best
        out["faiss_kernel_trial_seconds"] = trial
        out["faiss_best"] = {"setting": f"OPENBLAS_CORETYPE={best_core}" if best_core else "as installed",
                             "blas": python_blas("import faiss", {"OPENBLAS_CORETYPE": best_core} if best_core else None)}
        log(f"FAISS kernel trial (k=10, batched): {trial}; best: {out['faiss_best']['setting']}")
        ours(data, m, 10, 6148, f)  # warm-up
        runners = lambda k, batch: {"dl-kfilter": lambda: ours(data, m, k, batch, f),
                                    "faiss-installed": lambda: faiss(data, k, batch),
                                    "faiss-best": lambda: faiss(data, k, batch, best_core)}
        out["table_5_1"] = []
        allres = {"dl-kfilter": [], "faiss-installed": [], "faiss-best": []}
        for k in (5, 10, 20):
            res = rounds(a.rounds, runners(k, 6148))
            for key in allres:
                allres[key] += res[key]
            o, fb = res["dl-kfilter"][0], res["faiss-best"][0]
            row = {"k": k, "thesis_kept": THESIS[k], "dl_kfilter_kept": round(o["kept_fraction"], 4),
                   "faiss_kept": fb["kept_fraction"], "same_rows": all(r["sha256"] == fb["sha256"] for r in
                                                                      res["dl-kfilter"] + res["faiss-best"] + res["faiss-installed"]),
                   **{f"{key}_seconds": [r["seconds"] for r in v] for key, v in res.items()},
                   "dl_kfilter_process_seconds": [r["process_seconds"] for r in res["dl-kfilter"]],
                   **compare(res), **compare(res, "faiss-installed")}
            out["table_5_1"].append(row)
            log(json.dumps(row))
        out["batched"] = {**compare(allres), **compare(allres, "faiss-installed")}
        whole = rounds(a.whole_rounds, runners(10, None))
        out["whole_set"] = {"k": 10, "same_rows": all(r["sha256"] == whole["faiss-best"][0]["sha256"]
                                                      for v in whole.values() for r in v),
                            "kept_fraction": whole["dl-kfilter"][0]["kept_fraction"],
                            **{f"{key}_seconds": [r["seconds"] for r in v] for key, v in whole.items()},
                            "dl_kfilter_process_seconds": [r["process_seconds"] for r in whole["dl-kfilter"]],
                            "rss_mb": {key: round(statistics.median(r["rss_mb"] for r in v)) for key, v in whole.items()},
                            **compare(whole), **compare(whole, "faiss-installed")}
        log(json.dumps(out["whole_set"]))
    out["faiss_version"] = allres["faiss-best"][0]["version"]
    # Does training on the filtered set cost accuracy? The baseline net, 10 epochs, both sets.
    fit = "--arch 784-392-50-10 --epochs 10 --batch-size 128 --lr 0.02 --momentum 0.9 --wd 0.003 --lr-step 8:0.1 --threads 2 -q"
    filtered = cached(os.path.join(RESULTS, "fashion-k10.h5"), f"{BIN}/dl-kfilter -k 10 --batch 6148 {data} -q -o {{out}}",
                      ["dl-kfilter"], [data])
    acc = {}
    for name, d in (("full", data), ("filtered", filtered)):
        model = cached(os.path.join(RESULTS, f"baseline-{name}.h5"), f"{BIN}/dl-fit {d} {fit} -o {{out}}", ["dl-fit"], [d])
        with h5py.File(model) as fh:
            acc[name] = float(fh["model/log/test_accuracy"][-1])
    out["baseline_test_accuracy"] = {"full": acc["full"], "filtered_k10": acc["filtered"], "filtered_rows": rows(filtered)}
    save("kfilter.json", out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
