#!/usr/bin/env python3
"""dl-layerwise against the PyTorch layer-wise peer (../shared/bench/peers/torch_dll.py).

Fashion-MNIST, 784-392-196-50-10 ReLU, 10 epochs per layer (DLL) against 10 epochs
end to end (backprop), lr 0.02, momentum 0.9, batch 128, 2 threads, per-layer lr ×
0.8^j (Th. Table 6.3; no weight decay), one round per seed with the four runs
interleaved (the order rotates): dl-layerwise, torch_dll --mode dll, dl-fit,
torch_dll --mode backprop. Speed is samples trained per second of the whole
layer-wise loop on both sides (training, per-layer evaluation and the features
handed up), median ratio over the rounds.

Then depth (Th. 6.1): MLPs of width 64 and 100 and 1000 layers, trained layer-wise
(--deep-epochs epochs per layer, the same lr at every layer: Table 6.3's 0.8^j
leaves layer 30 a rate of 2.5e-5, so the 100-layer net also runs with it, to show
that) and by full backprop (dl-fit: 10 epochs for 100 layers, 1 for 1000); test
accuracy per layer, where it peaks, relative memory of the subnets against full
backprop at batch 128, and peak RSS of both processes.
  bench/layerwise.py [--seeds 3] [--depths 100,1000] [--deep-epochs 2]
Writes bench/results/layerwise.json and prints a markdown summary."""
import argparse, csv, json, os, statistics, sys, tempfile
from bench_common import BIN, PEERS, fashion_data, log, machine, python_blas, ratio_stats, run, save

ARCH = "784-392-196-50-10"
COMMON = ["--batch-size", "128", "--lr", "0.02", "--momentum", "0.9"]


def report_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def ours_dll(data, seed, tmp, arch=ARCH, epochs=10, extra=()):
    rep = os.path.join(tmp, "dll.tsv")
    r = run(["/usr/bin/time", "-f", "%M", f"{BIN}/dl-layerwise", data, "--arch", arch, "--epochs", str(epochs), *COMMON,
             "--threads", "2", "-s", str(seed), "-q", "--report", rep, "-o", os.path.join(tmp, "dll.h5"), *extra])
    rows = report_rows(rep)
    secs = sum(float(x["seconds"]) for x in rows)
    samples = sum(int(x["train_rows"]) * int(x["epochs"]) for x in rows)
    return {"seconds": secs, "samples_per_s": samples / secs, "test_accuracy": float(rows[-1]["test_accuracy"]),
            "test_accuracy_per_layer": [float(x["test_accuracy"]) for x in rows],
            "relative_memory_max": max(float(x["relative_memory"]) for x in rows),
            "memory_bytes_max": max(int(x["memory_total"]) for x in rows),
            "full_backprop_bytes": int(rows[0]["memory_full_backprop"]),
            "max_rss_mb": int(r.stderr.strip().splitlines()[-1]) / 1024}


def ours_fit(data, seed, tmp, arch=ARCH, epochs=10, may_fail=False):
    out = os.path.join(tmp, "fit.h5")
    cmd = ["/usr/bin/time", "-f", "%M", f"{BIN}/dl-fit", data, "--arch", arch, "--epochs", str(epochs), *COMMON,
           "--threads", "2", "-s", str(seed), "-q", "-o", out]
    if may_fail:
        import subprocess
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            lines = r.stderr.strip().splitlines()
            return {"test_accuracy": None, "error": lines[0], "max_rss_mb": int(lines[-1]) / 1024}
    else:
        r = run(cmd)
    import h5py
    with h5py.File(out) as f:
        acc = float(f["model/log/test_accuracy"][-1])
    return {"test_accuracy": acc, "max_rss_mb": int(r.stderr.strip().splitlines()[-1]) / 1024}


def peer(data, mode, seed):
    r = run([sys.executable, os.path.join(PEERS, "torch_dll.py"), "--data", data, "--arch", ARCH, "--mode", mode,
             "--epochs", "10", "--lr", "0.02", "--momentum", "0.9", "--batch-size", "128", "--threads", "2",
             "--seed", str(seed)], cwd=PEERS)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--depths", default="100,1000")
    p.add_argument("--deep-epochs", type=int, default=2)
    a = p.parse_args()
    data = fashion_data()
    info = machine()
    torch_blas = python_blas("import torch")
    res = {"machine": info, "pytorch_blas": torch_blas, "arch": ARCH, "rounds": []}
    with tempfile.TemporaryDirectory() as tmp:
        runners = {"dl-layerwise": lambda s: ours_dll(data, s, tmp), "pytorch-dll": lambda s: peer(data, "dll", s),
                   "dl-fit": lambda s: ours_fit(data, s, tmp), "pytorch-backprop": lambda s: peer(data, "backprop", s)}
        names = list(runners)
        for seed in range(a.seeds):
            order = names[seed % 4:] + names[:seed % 4]
            rnd = {"seed": seed}
            for k in order:
                rnd[k] = runners[k](seed)
            log(f"seed {seed}: " + "  ".join(f"{k} {rnd[k]['test_accuracy']:.4f}" for k in names))
            res["rounds"].append(rnd)
        acc = {k: [r[k]["test_accuracy"] for r in res["rounds"]] for k in names}
        res["test_accuracy"] = {k: {"values": v, "mean": statistics.mean(v)} for k, v in acc.items()}
        res["dll_minus_peer_points"] = round(100 * (statistics.mean(acc["dl-layerwise"]) - statistics.mean(acc["pytorch-dll"])), 2)
        res["dll_minus_dl_fit_points"] = round(100 * (statistics.mean(acc["dl-layerwise"]) - statistics.mean(acc["dl-fit"])), 2)
        so = [r["dl-layerwise"]["samples_per_s"] for r in res["rounds"]]
        st = [r["pytorch-dll"]["samples_per_s"] for r in res["rounds"]]
        res["samples_per_s"] = {"dl-layerwise": [round(x) for x in so], "pytorch-dll": st}
        res["speed_ratio"] = ratio_stats(so, st)
        res["per_layer_accuracy"] = {"dl-layerwise": res["rounds"][0]["dl-layerwise"]["test_accuracy_per_layer"],
                                     "pytorch-dll": res["rounds"][0]["pytorch-dll"]["test_accuracy_per_layer"]}
        res["relative_memory_max"] = res["rounds"][0]["dl-layerwise"]["relative_memory_max"]

        res["depth"] = []
        for depth in [int(x) for x in a.depths.split(",")]:
            deep = "-".join(["784"] + ["64"] * (depth - 1) + ["10"])
            for decay in (["1", "0.8"] if depth <= 100 else ["1"]):
                log(f"depth: {depth} layers of width 64, {a.deep_epochs} epochs per layer, lr decay {decay}")
                d = ours_dll(data, 0, tmp, arch=deep, epochs=a.deep_epochs, extra=["--lr-decay", decay])
                per = d["test_accuracy_per_layer"]
                peak = max(range(len(per)), key=lambda i: per[i])
                res["depth"].append({"layers": depth, "width": 64, "epochs_per_layer": a.deep_epochs, "lr_decay": float(decay),
                                     "dl_layerwise": {**d, "peak_layer": peak + 1, "peak_accuracy": per[peak]}})
            bp_epochs = 10 if depth <= 100 else 1
            log(f"depth: {depth} layers by full backprop, {bp_epochs} epochs")
            res["depth"][-1]["dl_fit_backprop"] = {**ours_fit(data, 0, tmp, arch=deep, epochs=bp_epochs, may_fail=True),
                                                   "epochs": bp_epochs}
    save("layerwise.json", res)
    ta = res["test_accuracy"]
    print("| run | test accuracy, mean of %d seeds | values |" % a.seeds)
    print("| --- | --- | --- |")
    for k in names:
        print(f"| {k} | {100 * ta[k]['mean']:.2f}% | {', '.join(f'{100 * v:.2f}' for v in ta[k]['values'])} |")
    print(f"\ndl-layerwise − PyTorch DLL: {res['dll_minus_peer_points']:+.2f} points; − dl-fit: {res['dll_minus_dl_fit_points']:+.2f} points")
    print(f"speed: dl-layerwise {statistics.median(so):.0f} samples/s, PyTorch DLL {statistics.median(st):.0f}; "
          f"median ratio {res['speed_ratio']['median']}× (range {res['speed_ratio']['range']})")
    print(f"per-layer test accuracy (seed 0): ours {res['per_layer_accuracy']['dl-layerwise']}, peer {res['per_layer_accuracy']['pytorch-dll']}")
    print("\n| layers × 64 | lr decay | layer-wise: peak (layer) | last layer | seconds | max subnet memory vs full backprop | peak RSS | full backprop (epochs) | its peak RSS |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for dd in res["depth"]:
        l, b = dd["dl_layerwise"], dd.get("dl_fit_backprop")
        brss = "—" if b is None else f"{b['max_rss_mb']:.0f} MB"
        bp = "—" if b is None else (f"{100 * b['test_accuracy']:.2f}% ({b['epochs']})" if b["test_accuracy"] is not None
                                    else f"{b['error']} ({b['epochs']})")
        print(f"| {dd['layers']} | {dd['lr_decay']:g} | {100 * l['peak_accuracy']:.2f}% ({l['peak_layer']}) | {100 * l['test_accuracy']:.2f}% "
              f"| {l['seconds']:.0f} | {100 * l['relative_memory_max']:.2f}% ({l['memory_bytes_max']} of {l['full_backprop_bytes']} B) "
              f"| {l['max_rss_mb']:.0f} MB | {bp} | {brss} |")


if __name__ == "__main__":
    main()
