#!/usr/bin/env python3
"""The numpy way to compute what `dl-measure lsd MODEL DATA` prints: the LSD
(1/m)·‖Y − Z Z⁺ Y‖²_F of X and of every layer's output on /train, with
np.linalg.lstsq (LAPACK gelsd, float64) — the peer for bench/measure.py.
Usage: lsd_numpy.py MODEL DATA  → one JSON line {"lsd": [...], "rank": [...]}"""
import json, sys
import h5py, numpy as np

def main():
    model, data = sys.argv[1], sys.argv[2]
    with h5py.File(data) as d:
        X, y = d["train/X"][:], d["train/y"][:]
    X = X.reshape(len(X), -1)
    with h5py.File(model) as f:
        g = f["model"]
        L = len(g["layers"])
        Ws = [(g[f"layers/{i}/W"][:], g[f"layers/{i}/b"][:]) for i in range(1, L + 1)]
        head = g.attrs["head"]
        head = head.decode() if isinstance(head, bytes) else head
    assert head == "softmax" and len(Ws) == L
    Y = np.eye(int(y.max()) + 1)[y]
    Zs, Z = [X], X
    for i, (W, b) in enumerate(Ws, 1):
        A = Z @ W + b
        if i < L:
            Z = np.maximum(A, 0)
        else:
            E = np.exp(A - A.max(1, keepdims=True))
            Z = E / E.sum(1, keepdims=True)
        Zs.append(Z)
    lsd, rank = [], []
    for Z in Zs:
        Z64 = Z.astype(np.float64)
        B, _, r, _ = np.linalg.lstsq(Z64, Y, rcond=None)
        R = Y - Z64 @ B
        lsd.append(float((R * R).sum() / len(Y)))
        rank.append(int(r))
    print(json.dumps({"lsd": lsd, "rank": rank, "numpy": np.__version__}))

if __name__ == "__main__":
    main()
