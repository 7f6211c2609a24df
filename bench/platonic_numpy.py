#!/usr/bin/env python3
"""The peer of dl-fit project: Platonic Projections (Th. 7) in numpy/scipy, the
same algorithm step for step (Figure 7.3 with Th. 7.5.1's tries, 7.8's PCA
variants, the ELM), on numpy's own OpenBLAS.

  platonic_numpy.py DATA --arch 2-32x4-2 [--hidden tanh] [--target-scale A] [--label-scale B]
      [--tries N] [--solver pinv|ridge] [--ridge L] [--projection random|pca|random-w]
      [--sorted-pca] [--precision 32|64] [--seed S]

Prints one JSON line: the fit's seconds (reading the file excluded, as dl-fit's
--record-time), the last layer's LSD and training accuracy."""
import argparse, json, time
import h5py, numpy as np, scipy.linalg as sl
from threadpoolctl import threadpool_limits


def widths(arch):
    out = []
    for part in arch.split("-"):
        w, _, n = part.partition("x")
        out += [int(w)] * int(n or 1)
    return out


def act(name, a):
    if name == "relu": return np.maximum(a, 0, out=a)
    if name == "tanh": return np.tanh(a, out=a)
    if name == "celu": return np.where(a < 0, np.expm1(np.minimum(a, 0)), a)
    if name == "sigmoid": return 1 / (1 + np.exp(-a))
    raise SystemExit(f"unknown activation {name}")


class Solver:
    """Z̃⁺ applied to right-hand sides, factored once (pinv: Z̃⁺; ridge: Cholesky of Z̃ᵀZ̃ + λI)."""
    def __init__(self, Z, kind, lam):
        self.Z, self.kind = Z, kind
        if kind == "pinv":
            m, n = Z.shape
            self.Zp = np.linalg.pinv(Z, rcond=max(m, n) * np.finfo(Z.dtype).eps)  # torch's default cut
        else:
            G = Z.T @ Z
            G[np.diag_indices_from(G)] += lam
            self.c = sl.cho_factor(G, check_finite=False)

    def solve(self, B):
        if self.kind == "pinv": return self.Zp @ B
        return sl.cho_solve(self.c, self.Z.T @ B, check_finite=False)


def bias(Z):
    return np.hstack([np.ones((Z.shape[0], 1), Z.dtype), Z])


def pcs(A, count):
    C = A - A.mean(0)
    u, _, _ = np.linalg.svd(C.T @ C)
    u = u[:, :count]
    return u * np.where(u[np.abs(u).argmax(0), np.arange(count)] < 0, -1, 1)


def fit(X, Y, labels, Xt, Yt, a):
    """As dl-fit project: the test split (when the data has one) follows every
    chosen layer, with its decision layer's MSE and accuracy, as ours logs them."""
    dt = np.float32 if a.precision == 32 else np.float64
    ws = widths(a.arch)
    rng = np.random.default_rng(a.seed)
    Z = bias(X.astype(dt)); Y = Y.astype(dt)
    Zt = bias(Xt.astype(dt)) if Xt is not None else None
    test = []
    K = Y.shape[1]
    solver = None
    for i, w in enumerate(ws[1:-1], start=1):
        if i == 1 and a.sorted_pca:
            c = pcs(Z[:, 1:], 1)[:, 0]
            order = np.argsort(Z[:, 1:] @ c, kind="stable")
            idx = order[np.minimum(np.round(np.arange(w) * (len(order) / w)).astype(int), len(order) - 1)]
            cands = [np.vstack([np.zeros((1, w), dt), Z[idx, 1:].T])]
        elif a.projection == "random-w":
            cands = [rng.standard_normal((Z.shape[1], w)).astype(dt)]
        else:
            solver = solver or Solver(Z, a.solver, a.ridge)
            A = np.hstack([Z, a.beta * Y])
            if a.projection == "pca":
                P = np.vstack([np.zeros((1, w), dt), pcs(a.alpha * A[:, 1:], w)])
                cands = [solver.solve(a.alpha * (A @ P))]
            else:
                cands = [solver.solve(a.alpha * (A @ rng.standard_normal((Z.shape[1] + K, w)).astype(dt))) for _ in range(a.tries)]
        best = None
        for W in cands:
            Zi = bias(act(a.hidden, Z @ W))
            s = Solver(Zi, a.solver, a.ridge)
            Q = s.solve(Y)
            r = Y - Zi @ Q
            lsd = float((r.astype(np.float64) ** 2).sum()) / len(Y)
            if best is None or lsd < best[0]: best = (lsd, Zi, s, W, Q)
        _, Z, solver, W, Q = best
        if Zt is not None:
            Zt = bias(act(a.hidden, Zt @ W))
            Yh = Zt @ Q
            test.append((float(((Yt - Yh) ** 2).mean()), float((Yh.argmax(1) == Yt.argmax(1)).mean())))
    solver = solver or Solver(Z, a.solver, a.ridge)
    Yh = Z @ solver.solve(Y)
    lsd = float(((Y - Yh).astype(np.float64) ** 2).sum()) / len(Y)
    acc = float((Yh.argmax(1) == labels).mean()) if labels is not None else None
    return lsd, acc


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data"); p.add_argument("--arch", required=True); p.add_argument("--hidden", default="relu")
    p.add_argument("--target-scale", dest="alpha", type=float, default=1.0); p.add_argument("--label-scale", dest="beta", type=float, default=10.0)
    p.add_argument("--tries", type=int, default=1); p.add_argument("--solver", default="pinv", choices=["pinv", "ridge"])
    p.add_argument("--ridge", type=float, default=1e-3)
    p.add_argument("--projection", default="random", choices=["random", "pca", "random-w"])
    p.add_argument("--sorted-pca", action="store_true"); p.add_argument("--precision", type=int, default=64, choices=[32, 64])
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    K = widths(a.arch)[-1]
    with h5py.File(a.data) as f:
        X = np.asarray(f["train/X"]).reshape(f["train/X"].shape[0], -1)
        labels = np.asarray(f["train/y"]) if "y" in f["train"] else None
        Y = np.eye(K)[labels] if labels is not None else np.asarray(f["train/Y"])
        Xt = Yt = None
        if "test" in f:
            Xt = np.asarray(f["test/X"]).reshape(f["test/X"].shape[0], -1)
            Yt = np.eye(K)[np.asarray(f["test/y"])] if "y" in f["test"] else np.asarray(f["test/Y"])
    # dl-fit project's rule: narrow nets on one BLAS thread.
    threads = 1 if len(X) * (max(widths(a.arch)) + 1) ** 2 < 2 ** 26 else None
    t = time.perf_counter()
    with threadpool_limits(limits=threads):
        lsd, acc = fit(X, Y, labels, Xt, Yt, a)
    print(json.dumps({"seconds": time.perf_counter() - t, "lsd": lsd, "train_accuracy": acc}))


if __name__ == "__main__":
    main()
