#!/usr/bin/env python3
"""The pipe path of dl-data cat against the bare pipe and the h5py peer.

   cat F | dl-data cat | cat > /dev/null      ours
   cat F | cat | cat > /dev/null              the cost of the pipe itself
   cat F | h5py_cat.py | cat > /dev/null      h5py (../shared/bench/peers/h5py_cat.py)

F is the 188 MB Fashion-MNIST train file (`dl-data fashion-mnist | dl-data cat
--splits train`). Runs are interleaved (one of each per round, order rotated),
medians and median per-round ratios are reported. Also the start-up time of
`dl-data --help`, with and without the kernel switch (a tool re-executes itself
once where OpenBLAS falls back; simulated here with DL_TEST_OPENBLAS_CORE; dl-data
itself calls no BLAS and skips the switch). The peak memory (maximum resident set,
GNU time's %M) of dl-data on the pipe is measured in every round, against the
file's size. The two outputs are compared first: the same datasets with the same
values and attributes (dl-data adds one line to dl_history). Writes
bench/results/pipe.json and prints a summary."""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
import h5py, numpy as np

from bench_common import BIN, PEERS, RESULTS, cached, fashion_data, log, machine, save

def sh(cmd):
    subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True)

def timed(cmd):
    t = time.perf_counter()
    sh(cmd)
    return time.perf_counter() - t

def same_content(ours, peer, source):
    """Every dataset and attribute of the h5py copy is in dl-data's, equal; dl-data's
    history is the source's plus its own line."""
    with h5py.File(ours) as a, h5py.File(peer) as b, h5py.File(source) as src:
        names = []
        b.visit(names.append)
        for n in names:
            assert n in a, f"{n} missing from dl-data's output"
            if isinstance(b[n], h5py.Dataset):
                assert a[n].shape == b[n].shape and a[n].dtype == b[n].dtype, n
                assert np.array_equal(a[n][()], b[n][()]), f"{n} differs"
            for k, v in b[n].attrs.items():
                assert np.array_equal(np.asarray(a[n].attrs[k]), np.asarray(v)), f"{n} attribute {k} differs"
        for k, v in b.attrs.items():
            if k == "dl_history":
                assert list(a.attrs[k])[:-1] == list(src.attrs[k]), "dl_history"
            else:
                assert np.array_equal(np.asarray(a.attrs[k]), np.asarray(v)), f"root attribute {k} differs"
        return len(names)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--startup-runs", type=int, default=30)
    a = p.parse_args()
    source = fashion_data()
    data = cached(os.path.join(RESULTS, "fashion-train.h5"), f"{BIN}/dl-data cat --splits train -q {source} -o {{out}}",
                  ["dl-data"], [source])
    size = os.path.getsize(data)
    cmds = {
        "bare": f"cat {data} | cat | cat > /dev/null",
        "dl-data": f"cat {data} | {BIN}/dl-data cat -q | cat > /dev/null",
        "h5py": f"cat {data} | python3 {PEERS}/h5py_cat.py | cat > /dev/null",
    }
    with tempfile.TemporaryDirectory() as tmp:
        sh(f"cat {data} | {BIN}/dl-data cat -q > {tmp}/ours.h5")
        sh(f"cat {data} | python3 {PEERS}/h5py_cat.py > {tmp}/peer.h5")
        objects = same_content(f"{tmp}/ours.h5", f"{tmp}/peer.h5", data)
    log(f"outputs agree: {objects} objects, same values and attributes")
    for c in cmds.values():  # warm-up: page cache, huge-page pool
        sh(c)
    times = {k: [] for k in cmds}
    names = list(cmds)
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            order = names[r % 3:] + names[:r % 3]
            for k in order:
                times[k].append(timed(cmds[k]))
            sh(f"cat {data} | /usr/bin/time -f %M -o {tmp}/rss {BIN}/dl-data cat -q | cat > /dev/null")
            peaks.append(1024 * int(open(f"{tmp}/rss").read().split()[-1]))
            log(f"round {r + 1}/{a.rounds}: " + "  ".join(f"{k} {times[k][-1]:.3f}s" for k in names)
                + f"  dl-data peak {peaks[-1] / size:.3f}× the file")
    ratio_bare = [o / b for o, b in zip(times["dl-data"], times["bare"])]
    ratio_h5py = [o / h for o, h in zip(times["dl-data"], times["h5py"])]
    startup, switched = [], []
    for _ in range(a.startup_runs):
        startup.append(timed(f"{BIN}/dl-data --help > /dev/null"))
        switched.append(timed(f"env -u OPENBLAS_CORETYPE DL_TEST_OPENBLAS_CORE=Prescott {BIN}/dl-data --help > /dev/null"))
    result = {
        "machine": machine(),
        "outputs_agree": True,
        "objects_compared": objects,
        "file_bytes": size,
        "rounds": a.rounds,
        "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
        "ratio_vs_bare_median": round(statistics.median(ratio_bare), 3),
        "ratio_vs_bare_range": [round(min(ratio_bare), 3), round(max(ratio_bare), 3)],
        "ratio_vs_h5py_median": round(statistics.median(ratio_h5py), 3),
        "ratio_vs_h5py_range": [round(min(ratio_h5py), 3), round(max(ratio_h5py), 3)],
        "dl_data_peak_rss_bytes_median": int(statistics.median(peaks)),
        "dl_data_peak_over_file_median": round(statistics.median(peaks) / size, 3),
        "dl_data_peak_over_file_range": [round(min(peaks) / size, 3), round(max(peaks) / size, 3)],
        "help_startup_ms_median": round(1000 * statistics.median(startup), 1),
        "help_startup_ms_max": round(1000 * max(startup), 1),
        "help_startup_with_kernel_switch_ms_median": round(1000 * statistics.median(switched), 1),
    }
    save("pipe.json", result)
    print(json.dumps(result, indent=2))

if __name__ == "__main__":
    main()
