#!/usr/bin/env python3
"""dl-compress against zstd (../shared/bench/peers/zstd_weights.py) on trained weights.

Two Fashion-MNIST models (cached under bench/results): Th. 3's 784-392-50-10 tanh
net with a linear head (MSE), trained 100 epochs as the thesis did, and a wider
784-1024-1024-10 ReLU net, 3 epochs. Per round, interleaved (the order rotates): `dl-compress bench MODEL`
(Algorithm 1 and 2 in memory, default settings c = 5, M = 4, F = 0.03, best of 5)
and the peer at levels 3 and 19 (best of 5), over the same tensors (every W and b).
Both sides are single-threaded and time no file I/O; MB/s are of float32 input.
Reports per model the median over the rounds of: encode and decode speed against
zstd-3 (target ≥ 1), and our ratio to float32 (packages with their code tables)
against zstd-19's (target ≥ 4).
  bench/compress.py [--rounds 7]
Writes bench/results/compress.json and prints a markdown summary."""
import argparse, json, os, statistics, sys
from bench_common import BIN, PEERS, RESULTS, cached, fashion_data, log, machine, ratio_stats, rounds, run, save

MODELS = {
    "th3-784-392-50-10-tanh-100-epochs": "--arch 784-392-50-10 --hidden tanh --head linear --epochs 100 --batch-size 128 --lr 0.01 --momentum 0.9",
    "wide-784-1024-1024-10-relu": "--arch 784-1024-1024-10 --epochs 3 --batch-size 128 --lr 0.02 --momentum 0.9",
}
ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # neither side calls BLAS; no idle BLAS threads either


def ours(model):
    return json.loads(run([f"{BIN}/dl-compress", "bench", model, "--repeats", "5"], env=ENV).stdout)


def peer(model):
    out = run([sys.executable, os.path.join(PEERS, "zstd_weights.py"), model, "--glob", "/model/layers/*/[Wb]", "--levels", "3,19"],
              env=ENV).stdout
    return {f"zstd-{d['level']}": d for d in map(json.loads, out.strip().splitlines())}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    a = p.parse_args()
    data = fashion_data()
    import zstandard
    res = {"machine": machine(), "peer": {"zstandard": zstandard.__version__, "libzstd": ".".join(map(str, zstandard.ZSTD_VERSION)),
                                          "backend": zstandard.backend}, "models": {}}
    for name, flags in MODELS.items():
        model = cached(os.path.join(RESULTS, f"compress-{name}.h5"), f"{BIN}/dl-fit {data} {flags} --threads 2 -s 1 -q -o {{out}}",
                       ["dl-fit"], [data])
        log(f"bench: {name}")
        r = rounds(a.rounds, {"dl-compress": lambda: ours(model), "zstd": lambda: peer(model)})
        o, z = r["dl-compress"], r["zstd"]
        m = {"parameters": o[0]["parameters"],
             "dl-compress": {k: [x[k] for x in o] for k in ("compress_MBps", "decompress_MBps")},
             "zstd-3": {k: [x["zstd-3"][k] for x in z] for k in ("compress_MBps", "decompress_MBps")},
             "zstd-19": {k: [x["zstd-19"][k] for x in z] for k in ("compress_MBps", "decompress_MBps")},
             "ratio": {"dl-compress": o[0]["ratio"], "zstd-3": z[0]["zstd-3"]["ratio"], "zstd-19": z[0]["zstd-19"]["ratio"]},
             "bits_per_parameter": {"dl-compress package": o[0]["bits_per_parameter"], "dl-compress stream": o[0]["stream_bits_per_parameter"],
                                    "zstd-19": z[0]["zstd-19"]["bits_per_parameter"]}}
        m["encode_vs_zstd3"] = ratio_stats([x["compress_MBps"] for x in o], [x["zstd-3"]["compress_MBps"] for x in z])
        m["decode_vs_zstd3"] = ratio_stats([x["decompress_MBps"] for x in o], [x["zstd-3"]["decompress_MBps"] for x in z])
        m["ratio_vs_zstd19"] = round(m["ratio"]["dl-compress"] / m["ratio"]["zstd-19"], 3)
        res["models"][name] = m
    save("compress.json", res)
    print(f"CPU: {res['machine']['cpu']}; peer: python-zstandard {res['peer']['zstandard']} (libzstd {res['peer']['libzstd']}, {res['peer']['backend']})")
    print("\n| model | parameters | side | encode MB/s | decode MB/s | ratio to float32 | bits/param |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, m in res["models"].items():
        for side in ("dl-compress", "zstd-3", "zstd-19"):
            bits = m["bits_per_parameter"]["dl-compress package"] if side == "dl-compress" else 32 / m["ratio"][side]
            print(f"| {name} | {m['parameters']} | {side} | {statistics.median(m[side]['compress_MBps']):.0f} "
                  f"| {statistics.median(m[side]['decompress_MBps']):.0f} | {m['ratio'][side]:.2f} | {bits:.2f} |")
    print("\n| model | encode vs zstd-3 (median, range) | decode vs zstd-3 | ratio vs zstd-19 |")
    print("| --- | --- | --- | --- |")
    for name, m in res["models"].items():
        e, d = m["encode_vs_zstd3"], m["decode_vs_zstd3"]
        print(f"| {name} | {e['median']}× ({e['range'][0]}–{e['range'][1]}) | {d['median']}× ({d['range'][0]}–{d['range'][1]}) | {m['ratio_vs_zstd19']}× |")


if __name__ == "__main__":
    main()
