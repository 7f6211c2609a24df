"""What every benchmark script shares: where things are, the Fashion-MNIST data
file they run on, caches that are rebuilt when the code that made them changes,
interleaved rounds, and the machine and BLAS kernels each side ran on."""
import hashlib, json, os, platform, re, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release")
PEERS = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench", "peers"))
RESULTS = os.path.join(ROOT, "bench", "results")


def run(cmd, env=None, **kw):
    """Runs cmd (a list), returns the CompletedProcess; fails loudly with its stderr."""
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(cmd, capture_output=True, text=True, env=e, **kw)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return r


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cached(path, cmd, tools, inputs=()):
    """path, made by the shell command `cmd` unless an earlier run made it with the
    same command, the same tool binaries and the same input files (the key is
    stored beside it as path.key): newer code never measures stale files."""
    os.makedirs(RESULTS, exist_ok=True)
    key = hashlib.sha256(json.dumps([cmd, [_sha(os.path.join(BIN, t)) for t in tools],
                                     [_sha(i) for i in inputs]]).encode()).hexdigest()
    keyfile = path + ".key"
    if os.path.exists(path) and os.path.exists(keyfile) and open(keyfile).read() == key:
        return path
    log(f"bench: making {os.path.relpath(path, ROOT)}")
    tmp = path + ".tmp"
    run(["bash", "-o", "pipefail", "-c", cmd.replace("{out}", tmp)])
    os.replace(tmp, path)
    with open(keyfile, "w") as f:
        f.write(key)
    return path


def fashion_data():
    """bench/results/fashion.h5: `dl-data fashion-mnist` (train 60,000, test 10,000)."""
    return cached(os.path.join(RESULTS, "fashion.h5"), f"{BIN}/dl-data fashion-mnist -q -o {{out}}", ["dl-data"])


def rows(path, split="train"):
    import h5py
    with h5py.File(path) as f:
        return f[f"{split}/X"].shape[0]


def rounds(n, runners):
    """n interleaved rounds of every runner (a dict name → function returning a
    result); the order rotates each round, so no side always runs first.
    Returns {name: [results]}."""
    names = list(runners)
    out = {k: [] for k in names}
    for r in range(n):
        order = names[r % len(names):] + names[:r % len(names)]
        for k in order:
            out[k].append(runners[k]())
        log(f"round {r + 1}/{n}: " + "  ".join(f"{k} {_short(out[k][-1])}" for k in names))
    return out


def _short(v):
    if isinstance(v, dict):
        v = next((v[k] for k in ("seconds", "samples_per_s") if k in v), v)
    return f"{v:.4g}" if isinstance(v, (int, float)) else str(v)[:40]


def ratio_stats(a, b):
    """Median and range of the per-round ratios a[i] / b[i]."""
    r = [x / y for x, y in zip(a, b)]
    return {"median": round(statistics.median(r), 3), "range": [round(min(r), 3), round(max(r), 3)]}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def best_openblas_cores():
    """The OpenBLAS cores better than a fallback that this CPU runs, best first
    (the ones worth forcing on a peer whose OpenBLAS picked something else)."""
    f = cpu_flags()
    cores = []
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= f:
        cores.append("SkylakeX")
    if {"avx2", "fma"} <= f:
        cores.append("Haswell")
    return cores


def dl_kernel():
    """Our side: `dl-fit --version`'s OpenBLAS line, e.g. 'OpenBLAS 0.3.21, core Cooperlake, 2 threads'."""
    lines = run([f"{BIN}/dl-fit", "--version"]).stdout.splitlines()
    return {"blas": lines[1].strip(), "note": " ".join(l.strip() for l in lines[2:] if not l.startswith("CPU:"))}


def python_blas(imports, env=None):
    """The BLAS libraries a Python peer loads, with the kernel each picked
    (threadpoolctl), under `env` (e.g. OPENBLAS_CORETYPE)."""
    code = (f"import json; {imports}\nfrom threadpoolctl import threadpool_info\n"
            "print(json.dumps([{k: i.get(k) for k in ('internal_api', 'version', 'architecture', 'num_threads', 'filepath')}"
            " for i in threadpool_info() if i.get('user_api') == 'blas']))")
    libs = json.loads(run([sys.executable, "-c", code], env=env).stdout)
    for lib in libs:
        lib["filepath"] = os.path.basename(lib["filepath"] or "")
    return libs


def machine():
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "dl": dl_kernel()}


def sgemm_peak(shapes, threads=2):
    """OpenBLAS (Debian's, as our tools load it) sgemm GFLOP/s at each (M, N, K)
    on `threads` threads, from ../shared/bench/peers/sgemm_peak.c."""
    exe = os.path.join(RESULTS, "sgemm_peak")
    src = os.path.join(PEERS, "sgemm_peak.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        flags = run(["pkg-config", "--cflags", "--libs", "openblas"]).stdout.split()
        run(["cc", "-O2", src, "-o", exe] + flags)
    out = run([exe] + [str(v) for s in shapes for v in s], env={"OPENBLAS_NUM_THREADS": str(threads)}).stdout
    return [float(re.search(r": ([0-9.]+) GFLOP/s", line).group(1)) for line in out.strip().splitlines()]


def save(name, result):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, name), "w") as f:
        json.dump(result, f, indent=2)
