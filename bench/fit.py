#!/usr/bin/env python3
"""dl-fit against PyTorch (../shared/bench/peers/torch_mlp.py) on Fashion-MNIST.

Speed: 784-392-50-10, ReLU, softmax, batch 128, lr 0.02, momentum 0.9, 2 threads,
3 epochs; both time only the training loop (ours: /model/log/seconds written with
--record-time; PyTorch: its epoch timer). After a warm-up run of each, rounds are
interleaved with the order rotating; the median per-round ratio of samples/s is
reported. A third runner is dl-fit forced onto OpenBLAS's Prescott fallback
(what a CPU unknown to OpenBLAS 0.3.21 got before kernel selection). Beside it, in the same run: the CPU, each side's BLAS and kernel, the
OpenBLAS sgemm ceiling (sgemm_peak.c, 2 threads) at 2048³ and at the net's own
GEMM shapes, the GEMM-only bound of dl-fit's design (each thread's share of the
shapes at 1-thread sgemm rates), PyTorch's own sgemm at the net's shapes, and
our GFLOP/s against them.
Accuracy: the same net for 10 epochs, --seeds seeds each, medians of test accuracy.
Also the peak RSS of our 10-epoch run. Writes bench/results/fit.json."""
import argparse, json, os, statistics, sys, tempfile

from bench_common import (BIN, PEERS, fashion_data, log, machine, python_blas, ratio_stats, rounds, rows, run,
                          save, sgemm_peak)

WIDTHS = [784, 392, 50, 10]
BATCH = 128
# The GEMMs of one batch: forward and dW per layer, dX for all but the first.
SHAPES = ([(BATCH, b, a) for a, b in zip(WIDTHS, WIDTHS[1:])]
          + [(a, b, BATCH) for a, b in zip(WIDTHS, WIDTHS[1:])]
          + [(BATCH, a, b) for a, b in zip(WIDTHS[1:-1], WIDTHS[2:])])
FLOP_PER_SAMPLE = sum(2 * m * n * k for m, n, k in SHAPES) // BATCH
# What each of dl-fit's 2 threads multiplies per batch (single-threaded BLAS):
# forward and dX on its 64 rows, then its half of every W's rows for dW over all 128.
HALF = BATCH // 2
THREAD_SHAPES = ([(HALF, b, a) for a, b in zip(WIDTHS, WIDTHS[1:])]
                 + [(a // 2, b, BATCH) for a, b in zip(WIDTHS, WIDTHS[1:])]
                 + [(HALF, a, b) for a, b in zip(WIDTHS[1:-1], WIDTHS[2:])])
TORCH_GEMM = """
import json, sys, time, torch
torch.set_num_threads(2)
out = []
for M, N, K in json.loads(sys.argv[1]):
    a, b = torch.randn(M, K), torch.randn(K, N)
    for _ in range(10): a @ b
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < 0.5: a @ b; n += 1
    out.append(2 * M * N * K * n / (time.perf_counter() - t) / 1e9)
print(json.dumps({"gflops": out, "version": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability(),
                  "blas": [l.strip() for l in torch.__config__.show().splitlines() if "Math Kernel" in l or "OpenBLAS" in l]}))
"""


def ours(data, m, epochs, seed, tmp, record=True, core=None, bin=BIN):
    out = os.path.join(tmp, "m.h5")
    cmd = ["/usr/bin/time", "-f", "%M", f"{bin}/dl-fit", data, "--arch", "-".join(map(str, WIDTHS)), "--epochs",
           str(epochs), "--batch-size", str(BATCH), "--lr", "0.02", "--momentum", "0.9", "--threads", "2", "-s",
           str(seed), "-q", "-o", out] + (["--record-time"] if record else [])
    r = run(cmd, env={"OPENBLAS_CORETYPE": core} if core else None)
    import h5py
    with h5py.File(out) as f:
        log_ = f["model/log"]
        secs = list(log_["seconds"]) if "seconds" in log_ else []
        acc = float(log_["test_accuracy"][-1])
    return {"samples_per_s": m / statistics.median(secs) if secs else None, "test_accuracy": acc,
            "max_rss_mb": int(r.stderr.strip().splitlines()[-1]) / 1024}


def torch(data, epochs, seed):
    r = run([sys.executable, os.path.join(PEERS, "torch_mlp.py"), "--data", data, "--epochs", str(epochs),
             "--batch-size", str(BATCH), "--lr", "0.02", "--momentum", "0.9", "--threads", "2", "--seed", str(seed)],
            cwd=PEERS)
    j = json.loads(r.stdout.strip().splitlines()[-1])
    return {"samples_per_s": j["samples_per_s_median"], "test_accuracy": j["test_accuracy"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=7)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--save", default="fit.json", metavar="NAME", help="the results file under bench/results/")
    p.add_argument("--baseline", metavar="DIR",
                   help="also time the dl-fit in DIR (e.g. a build of the previous commit) in the same rounds")
    a = p.parse_args()
    data = fashion_data()
    m = rows(data)
    info = machine()
    peak = sgemm_peak([(2048, 2048, 2048)] + SHAPES)
    single = sgemm_peak(THREAD_SHAPES, threads=1)
    tg = json.loads(run([sys.executable, "-c", TORCH_GEMM, json.dumps(SHAPES)]).stdout)
    # If every GEMM of a batch ran at the 2-thread sgemm rate of its shape:
    ceiling_step = sum(2 * M * N * K / (g * 1e9) for (M, N, K), g in zip(SHAPES, peak[1:]))
    # dl-fit's own bound: both threads at once, each through its shapes at 1-thread rates.
    design_step = sum(2 * M * N * K / (g * 1e9) for (M, N, K), g in zip(THREAD_SHAPES, single))
    log(f"CPU {info['cpu']}; dl: {info['dl']['blas']}; PyTorch {tg['version']}: {tg['capability']}, {tg['blas']}")
    log(f"sgemm 2048³: {peak[0]} GFLOP/s; the net's shapes: {peak[1:]} (PyTorch: {[round(g, 1) for g in tg['gflops']]})")
    with tempfile.TemporaryDirectory() as tmp:
        ours(data, m, 1, 0, tmp), torch(data, 1, 0)  # warm-up: page cache, libraries
        # Also dl-fit on OpenBLAS's Prescott fallback: what a user got before kernel
        # selection on a CPU that OpenBLAS 0.3.21 does not know.
        runners = {"dl-fit": lambda: ours(data, m, 3, 0, tmp), "pytorch": lambda: torch(data, 3, 0),
                   "dl-fit-prescott": lambda: ours(data, m, 3, 0, tmp, core="Prescott")}
        if a.baseline:
            ours(data, m, 1, 0, tmp, bin=a.baseline)
            runners["dl-fit-baseline"] = lambda: ours(data, m, 3, 0, tmp, bin=a.baseline)
        speed = rounds(a.pairs, runners)
        acc = {"dl-fit": [], "pytorch": []}
        rss = []
        for seed in range(a.seeds):
            r = rounds(1, {"dl-fit": lambda: ours(data, m, 10, seed, tmp, record=False),
                           "pytorch": lambda: torch(data, 10, seed)})
            acc["dl-fit"].append(r["dl-fit"][0]["test_accuracy"]); acc["pytorch"].append(r["pytorch"][0]["test_accuracy"])
            rss.append(r["dl-fit"][0]["max_rss_mb"])
    so = [r["samples_per_s"] for r in speed["dl-fit"]]
    st = [r["samples_per_s"] for r in speed["pytorch"]]
    ours_med = statistics.median(so)
    gflops = ours_med * FLOP_PER_SAMPLE / 1e9
    result = {
        "machine": info,
        "pytorch": {"version": tg["version"], "cpu_capability": tg["capability"], "blas": tg["blas"],
                    "sgemm_gflops_at_net_shapes": [round(g, 1) for g in tg["gflops"]]},
        "pairs": a.pairs,
        "samples_per_s": {"dl-fit": [round(x) for x in so], "pytorch": [round(x) for x in st]},
        "samples_per_s_median": {"dl-fit": round(ours_med), "pytorch": round(statistics.median(st))},
        "speed_ratio": ratio_stats(so, st),
        "prescott_fallback": {"samples_per_s": [round(r["samples_per_s"]) for r in speed["dl-fit-prescott"]],
                              "vs_pytorch": ratio_stats([r["samples_per_s"] for r in speed["dl-fit-prescott"]], st),
                              "vs_selected_kernel": ratio_stats([r["samples_per_s"] for r in speed["dl-fit-prescott"]], so)},
        **({"baseline": {"dir": a.baseline,
                         "samples_per_s": [round(r["samples_per_s"]) for r in speed["dl-fit-baseline"]],
                         "vs_pytorch": ratio_stats([r["samples_per_s"] for r in speed["dl-fit-baseline"]], st),
                         "dl_fit_vs_baseline": ratio_stats(so, [r["samples_per_s"] for r in speed["dl-fit-baseline"]])}}
           if a.baseline else {}),
        "flop_per_sample": FLOP_PER_SAMPLE,
        "gemm_shapes": SHAPES,
        "sgemm_gflops": {"2048^3": peak[0], "net_shapes": peak[1:]},
        "dl_fit_gflops": round(gflops, 1),
        "fraction_of_sgemm_2048": round(gflops / peak[0], 3),
        "two_thread_sgemm_samples_per_s": round(BATCH / ceiling_step),
        "fraction_of_two_thread_sgemm_at_net_shapes": round(ours_med / (BATCH / ceiling_step), 3),
        "thread_shapes": THREAD_SHAPES,
        "one_thread_sgemm_gflops_at_thread_shapes": single,
        "gemm_bound_samples_per_s": round(BATCH / design_step),
        "fraction_of_gemm_bound": round(ours_med / (BATCH / design_step), 3),
        "test_accuracy_10_epochs": {**acc, "median_dl_fit": statistics.median(acc["dl-fit"]),
                                    "median_pytorch": statistics.median(acc["pytorch"])},
        "max_rss_mb_10_epochs": round(max(rss), 1),
    }
    save(a.save, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
