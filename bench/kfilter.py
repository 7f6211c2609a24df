#!/usr/bin/env python3
"""dl-kfilter against FAISS (../shared/bench/peers/faiss_kfilter.py, IndexFlatL2).

Th. Table 5.1 on Fashion-MNIST: k = 5, 10, 20 within consecutive batches of 6148
rows; kept fractions beside the thesis' 42%, 56%, 69%, and whether both tools
keep exactly the same rows (SHA-256 of the kept original indices as
little-endian int64). Speed: the kNN + filter time each tool reports (data
loading excluded on both sides), interleaved pairs, median ratio. Whole-set mode
(60,000 rows, no batches, k = 10): time and peak RSS of each.
Writes bench/results/kfilter.json."""
import hashlib, json, os, re, statistics, subprocess, sys, tempfile
import h5py, numpy as np

from bench_common import BIN, PEERS, RESULTS, ROOT, fashion_data
THESIS = {5: 0.42, 10: 0.56, 20: 0.69}

def ours(data, k, batch, out):
    cmd = ["/usr/bin/time", "-f", "RSS %M", f"{BIN}/dl-kfilter", "-k", str(k), data, "--threads", "2", "-o", out]
    if batch:
        cmd += ["--batch", str(batch)]
    r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    secs = float(re.search(r"in ([0-9.]+)s;", r.stderr).group(1))
    rss = int(re.search(r"RSS (\d+)", r.stderr).group(1)) / 1024
    with h5py.File(out) as f:
        idx = np.asarray(f["train/index"]).astype("<i8")
    return {"seconds": secs, "kept_fraction": len(idx) / 60000, "sha256": hashlib.sha256(idx.tobytes()).hexdigest(), "rss_mb": rss}

def faiss(data, k, batch):
    cmd = ["/usr/bin/time", "-f", "RSS %M", sys.executable, "faiss_kfilter.py", "--data", data, "-k", str(k),
           "--batch", str(batch or 0), "--threads", "2"]
    r = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=PEERS)
    j = json.loads(r.stdout.strip().splitlines()[-1])
    rss = int(re.search(r"RSS (\d+)", r.stderr).group(1)) / 1024
    return {"seconds": j["seconds"], "kept_fraction": j["kept_fraction"], "sha256": j["kept_sha256"], "rss_mb": rss,
            "version": j["version"]}

def main():
    import argparse
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    res = RESULTS
    data = fashion_data()
    out = {"table_5_1": [], "whole_set": None}
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        m = os.path.join(tmp, "f.h5")
        for k in (5, 10, 20):
            pairs = []
            for _ in range(3):
                o, f = ours(data, k, 6148, m), faiss(data, k, 6148)
                pairs.append((o, f))
                ratios.append(o["seconds"] / f["seconds"])
            o, f = pairs[0]
            row = {"k": k, "thesis_kept": THESIS[k], "dl_kfilter_kept": round(o["kept_fraction"], 4),
                   "faiss_kept": f["kept_fraction"], "same_rows": o["sha256"] == f["sha256"],
                   "dl_kfilter_seconds": [p[0]["seconds"] for p in pairs], "faiss_seconds": [p[1]["seconds"] for p in pairs]}
            out["table_5_1"].append(row)
            print(json.dumps(row), file=sys.stderr)
        o, f = ours(data, 10, None, m), faiss(data, 10, None)
        out["whole_set"] = {"k": 10, "dl_kfilter": o, "faiss": f, "same_rows": o["sha256"] == f["sha256"]}
        print(json.dumps(out["whole_set"]), file=sys.stderr)
    out["faiss_version"] = f["version"]
    out["batched_time_ratio_median"] = round(statistics.median(ratios), 3)
    out["batched_time_ratio_range"] = [round(min(ratios), 3), round(max(ratios), 3)]
    with open(os.path.join(res, "kfilter.json"), "w") as fh:
        json.dump(out, fh, indent=2)
    print(json.dumps(out, indent=2))

if __name__ == "__main__":
    main()
