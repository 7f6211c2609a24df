#!/usr/bin/env python3
"""Th. 4.3, Table 4.1 on Fashion-MNIST: a 784-392-50-10 net with ReLU hidden layers
and sigmoid, tanh, linear and exp-GA outputs (softmax as the reference row).

For each head: the learning rate is picked from a short sweep (3 epochs, seed 0)
by the error on a validation split (the last 10% of /train, held out; the test
split is never looked at) — the thesis tuned it per setting — then 5 seeds train
on the whole /train for --epochs epochs at that rate (SGD, momentum 0.9, batch
128, no weight decay) and are scored on /test.
Reports the median final test error and the median convergence epoch (the epoch
of lowest test error, Th. 4.3). exp-GA uses α = 0.1 and targets {0, 16} (Th. 4.5).
Writes bench/results/heads.json and a Markdown table on stdout."""
import argparse, json, os, statistics, subprocess, sys, tempfile
import h5py

from bench_common import BIN, RESULTS, cached, fashion_data, log, machine, save
HEADS = [("sigmoid", []), ("tanh", []), ("linear", []), ("exp-ga", ["--targets", "0,16"]), ("softmax", [])]
SWEEP = [0.1, 0.03, 0.01, 0.003, 0.001]

def fit(data, head, extra, lr, epochs, seed, out):
    subprocess.run([f"{BIN}/dl-fit", data, "--arch", "784-392-50-10", "--head", head, "--epochs", str(epochs),
                    "--lr", str(lr), "--momentum", "0.9", "--batch-size", "128", "-s", str(seed), "-q", "-o", out] + extra,
                   check=True)
    with h5py.File(out) as f:
        acc = [float(a) for a in f["model/log/test_accuracy"]]  # on /test, else /val
        return {"final_error": 100 * (1 - acc[-1]), "best_error": 100 * (1 - max(acc)),
                "convergence_epoch": int(f["model"].attrs["convergence_epoch"])}

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seeds", type=int, default=5)
    a = p.parse_args()
    data = fashion_data()
    # /train without its last 10% (now /val), and no /test: the sweep's data.
    tuning = cached(os.path.join(RESULTS, "fashion-val.h5"),
                    f"{BIN}/dl-data cat --val-fraction 0.1 --splits train,val -q {data} -o {{out}}", ["dl-data"], [data])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "m.h5")
        for head, extra in HEADS:
            sweep = {}
            for lr in SWEEP:
                try:
                    sweep[lr] = fit(tuning, head, extra, lr, 3, 0, out)["final_error"]
                except subprocess.CalledProcessError:
                    sweep[lr] = float("inf")  # diverged
            lr = min(sweep, key=sweep.get)
            runs = [fit(data, head, extra, lr, a.epochs, s, out) for s in range(a.seeds)]
            row = {"head": head, "lr": lr, "sweep_val_error_3_epochs": sweep, "runs": runs,
                   "median_final_error": statistics.median(r["final_error"] for r in runs),
                   "median_convergence_epoch": statistics.median(r["convergence_epoch"] for r in runs)}
            rows.append(row)
            log(f"{head}: lr {lr}, median error {row['median_final_error']:.2f}%, "
                f"convergence {row['median_convergence_epoch']}")
    save("heads.json", {"machine": machine(), "epochs": a.epochs, "seeds": a.seeds, "rows": rows})
    print("| output head | lr | final test error (median of %d) | convergence epoch (median) |" % a.seeds)
    print("| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['head']} | {r['lr']} | {r['median_final_error']:.2f}% | {r['median_convergence_epoch']:g} |")

if __name__ == "__main__":
    main()
