#!/usr/bin/env python3
"""The peer of `dl-neurashed train --preset random`: the same graph sizes and the
same update in plain numpy, done the obvious vectorized way. Theorem 1's graph:
L levels of m nodes; per level b1 shared nodes and b2 per class, disjoint; class
j's type fires its b1 + b2 nodes on every level (its pathway). Algorithm 1 per
iteration: B types drawn uniformly (equal weights) with replacement; G the union
of their pathways; λ ← g⁺(λ) on G and g⁻(λ) elsewhere over all m·L nodes; η on
each class's b1 + b2 last-level edges the same way, g⁺ when its node is in G and
its class in the batch.
  bench/neurashed_numpy.py --nodes 1000000 --levels 4 --batch 128 --iterations 200
Prints JSON: iterations/s of the loop alone, seconds, peak RSS, bytes a node."""
import argparse, json, resource, time
import numpy as np


def rule(text):
    kind, v = text.split(":", 1)
    if "^" in v:
        base, e = v.split("^", 1)
        num, _, den = e.partition("/")
        v = float(base) ** (float(num) / float(den or 1))
    v = float(v)
    if kind == "mul":
        return lambda x: v * x
    return lambda x: np.maximum(0, x + v)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=1_000_000); p.add_argument("--levels", type=int, default=4)
    p.add_argument("--classes", type=int, default=2); p.add_argument("--shared", type=int, default=2)
    p.add_argument("--per-class", type=int, default=3); p.add_argument("--batch", type=int, default=128)
    p.add_argument("--iterations", type=int, default=200); p.add_argument("--seed", type=int, default=0)
    p.add_argument("--g-plus", default="add:1"); p.add_argument("--g-minus", default="mul:0.999")
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    m, L, K, b1, b2 = a.nodes, a.levels, a.classes, a.shared, a.per_class
    used = b1 + K * b2
    chosen = [rng.permutation(m)[:used] + l * m for l in range(L)]
    members = lambda l, j: np.concatenate([chosen[l][:b1], chosen[l][b1 + j * b2:b1 + (j + 1) * b2]])
    paths = [np.concatenate([members(l, j) for l in range(L)]) for j in range(K)]
    edge_node = np.concatenate([members(L - 1, j) for j in range(K)])
    edge_class = np.repeat(np.arange(K), b1 + b2)
    lam = rng.uniform(0, 0.01, m * L)
    eta = rng.uniform(0, 0.01, edge_node.size)
    gp, gm = rule(a.g_plus), rule(a.g_minus)
    t0 = time.perf_counter()
    for _ in range(a.iterations):
        batch = rng.integers(0, K, a.batch)
        mask = np.zeros(m * L, bool)
        mask[np.concatenate([paths[t] for t in batch])] = True
        lam = np.where(mask, gp(lam), gm(lam))
        on = np.zeros(K, bool); on[batch] = True
        eta = np.where(on[edge_class] & mask[edge_node], gp(eta), gm(eta))
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"iterations": a.iterations, "seconds": seconds, "iterations_per_second": a.iterations / seconds,
                      "peak_rss_bytes": rss, "bytes_per_node": rss / (m * L), "lambda_sum": float(lam.sum())}))


if __name__ == "__main__":
    main()
