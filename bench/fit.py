#!/usr/bin/env python3
"""dl-fit against PyTorch (../shared/bench/peers/torch_mlp.py) on Fashion-MNIST.

Speed: 784-392-50-10, ReLU, softmax, batch 128, lr 0.02, momentum 0.9, 2 threads,
3 epochs; both time only the training loop (ours: /model/log/seconds written with
--record-time; PyTorch: its epoch timer). Runs are interleaved (ours, peer, ours,
…); the median per-pair ratio of samples/s is reported, with the sgemm ceiling
(sgemm_peak.c) measured in the same run and the fraction of it reached.
Accuracy: the same net for 10 epochs, 3 seeds each, medians of test accuracy.
Also the peak RSS of our 10-epoch run. Writes bench/results/fit.json."""
import argparse, json, os, statistics, subprocess, sys, tempfile

from bench_common import BIN, PEERS, RESULTS, ROOT, fashion_data
WIDTHS = [784, 392, 50, 10]
# FLOPs per training sample: forward and dW are 2·d_in·d_out per layer, dX too
# except for the first layer (no gradient for the input).
FLOP_PER_SAMPLE = sum(6 * a * b for a, b in zip(WIDTHS, WIDTHS[1:])) - 2 * WIDTHS[0] * WIDTHS[1]

def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)

def ours(data, epochs, seed, tmp, record=True):
    out = os.path.join(tmp, "m.h5")
    cmd = ["/usr/bin/time", "-f", "%M", f"{BIN}/dl-fit", data, "--arch", "784-392-50-10", "--epochs", str(epochs),
           "--batch-size", "128", "--lr", "0.02", "--momentum", "0.9", "--threads", "2", "-s", str(seed), "-q", "-o", out]
    if record:
        cmd.insert(cmd.index("-q"), "--record-time")
    r = run(cmd)
    rss_kb = int(r.stderr.strip().splitlines()[-1])
    import h5py
    with h5py.File(out) as f:
        log = f["model/log"]
        secs = list(log["seconds"]) if "seconds" in log else []
        acc = float(log["test_accuracy"][-1])
    rows = 60000
    return {"samples_per_s": rows / statistics.median(secs) if secs else None, "test_accuracy": acc, "max_rss_mb": rss_kb / 1024}

def torch(data, epochs, seed):
    r = run([sys.executable, os.path.join(PEERS, "torch_mlp.py"), "--data", data, "--epochs", str(epochs),
             "--batch-size", "128", "--lr", "0.02", "--momentum", "0.9", "--threads", "2", "--seed", str(seed)], cwd=PEERS)
    j = json.loads(r.stdout.strip().splitlines()[-1])
    return {"samples_per_s": j["samples_per_s_median"], "test_accuracy": j["test_accuracy"], "version": j["version"]}

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--seeds", type=int, default=3)
    a = p.parse_args()
    res = RESULTS
    data = fashion_data()
    peak = os.path.join(res, "sgemm_peak")
    if not os.path.exists(peak):
        cflags = run(["pkg-config", "--cflags", "--libs", "openblas"]).stdout.split()
        run(["cc", "-O2", os.path.join(PEERS, "sgemm_peak.c"), "-o", peak] + cflags)
    ceiling = run([peak]).stdout
    print(ceiling, file=sys.stderr, end="")
    big = float(ceiling.splitlines()[0].split(":")[1].split()[0])
    with tempfile.TemporaryDirectory() as tmp:
        speed = []
        for i in range(a.pairs):
            o, t = ours(data, 3, 0, tmp), torch(data, 3, 0)
            speed.append((o["samples_per_s"], t["samples_per_s"]))
            print(f"pair {i + 1}/{a.pairs}: dl-fit {o['samples_per_s']:.0f}/s  pytorch {t['samples_per_s']:.0f}/s", file=sys.stderr)
        accs_o, accs_t, rss = [], [], []
        for seed in range(a.seeds):
            o, t = ours(data, 10, seed, tmp, record=False), torch(data, 10, seed)
            accs_o.append(o["test_accuracy"]); accs_t.append(t["test_accuracy"]); rss.append(o["max_rss_mb"])
            print(f"seed {seed}: dl-fit {o['test_accuracy']:.4f}  pytorch {t['test_accuracy']:.4f}", file=sys.stderr)
    ratios = [o / t for o, t in speed]
    ours_med = statistics.median(s[0] for s in speed)
    result = {
        "torch_version": t["version"],
        "samples_per_s_median": {"dl-fit": round(ours_med), "pytorch": round(statistics.median(s[1] for s in speed))},
        "speed_ratio_median": round(statistics.median(ratios), 3),
        "speed_ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
        "flop_per_sample": FLOP_PER_SAMPLE,
        "dl_fit_gflops": round(ours_med * FLOP_PER_SAMPLE / 1e9, 1),
        "sgemm_peak_gflops_2048": big,
        "fraction_of_sgemm_peak": round(ours_med * FLOP_PER_SAMPLE / 1e9 / big, 3),
        "test_accuracy_10_epochs": {"dl-fit": accs_o, "pytorch": accs_t,
                                    "median_dl_fit": statistics.median(accs_o), "median_pytorch": statistics.median(accs_t)},
        "max_rss_mb_10_epochs": round(max(rss), 1),
    }
    with open(os.path.join(res, "fit.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))

if __name__ == "__main__":
    main()
