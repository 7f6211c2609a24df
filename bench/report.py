#!/usr/bin/env python3
"""The headline figures of the last `make bench`, as Markdown, from
bench/results/*.json (the figures in README.md and BENCHMARKS.md are these).
Writes bench/results/summary.md and prints it."""
import json, os, statistics

from bench_common import RESULTS


def load(name):
    path = os.path.join(RESULTS, name)
    return json.load(open(path)) if os.path.exists(path) else None


def blas(libs):
    return "; ".join(f"{l['internal_api']} {l['version']} {l['architecture']} ({l['filepath']})" for l in libs)


def main():
    out = []
    say = out.append
    machine = open(os.path.join(RESULTS, "machine.txt")).read().strip() if os.path.exists(os.path.join(RESULTS, "machine.txt")) else "?"
    say("Machine and our kernel (`dl-fit --version` at the start of the run):\n")
    say("```\n" + machine + "\n```\n")
    if p := load("pipe.json"):
        say("## dl-data cat on a pipe (`bench/pipe.py`)\n")
        say(f"- outputs agree with h5py's copy: {p['outputs_agree']} ({p['objects_compared']} objects)")
        ms = p["median_seconds"]
        say(f"- medians of {p['rounds']}: bare pipe {ms['bare']:.3f} s, dl-data {ms['dl-data']:.3f} s, h5py {ms['h5py']:.3f} s")
        say(f"- dl-data / bare pipe: **{p['ratio_vs_bare_median']}×** (range {p['ratio_vs_bare_range'][0]}–{p['ratio_vs_bare_range'][1]})")
        say(f"- dl-data / h5py: **{p['ratio_vs_h5py_median']}×** (range {p['ratio_vs_h5py_range'][0]}–{p['ratio_vs_h5py_range'][1]})")
        say(f"- `dl-data --help`: {p['help_startup_ms_median']} ms (max {p['help_startup_ms_max']}); "
            f"with the kernel switch (re-exec): {p['help_startup_with_kernel_switch_ms_median']} ms\n")
    if f := load("fit.json"):
        say("## dl-fit against PyTorch (`bench/fit.py`)\n")
        say(f"- kernels: dl {f['machine']['dl']['blas']}; PyTorch {f['pytorch']['version']}, CPU capability "
            f"{f['pytorch']['cpu_capability']}, {' '.join(f['pytorch']['blas']).lstrip('- ')}")
        sp = f["samples_per_s"]
        say(f"- samples/s, {f['pairs']} interleaved rounds: dl-fit {sp['dl-fit']}, PyTorch {sp['pytorch']}")
        say(f"- medians: dl-fit {f['samples_per_s_median']['dl-fit']:,}, PyTorch {f['samples_per_s_median']['pytorch']:,}; "
            f"ratio **{f['speed_ratio']['median']}×** (range {f['speed_ratio']['range'][0]}–{f['speed_ratio']['range'][1]})")
        if pf := f.get("prescott_fallback"):
            say(f"- dl-fit forced onto OpenBLAS's Prescott fallback: {pf['samples_per_s']} samples/s, "
                f"{pf['vs_selected_kernel']['median']}× the selected kernel's, {pf['vs_pytorch']['median']}× PyTorch's")
        if b := f.get("baseline"):
            say(f"- the baseline dl-fit ({b['dir']}) in the same rounds: {b['samples_per_s']} samples/s, {b['vs_pytorch']['median']}× "
                f"PyTorch's; this dl-fit / the baseline: **{b['dl_fit_vs_baseline']['median']}×** "
                f"(range {b['dl_fit_vs_baseline']['range'][0]}–{b['dl_fit_vs_baseline']['range'][1]})")
        say(f"- {f['dl_fit_gflops']} GFLOP/s ({f['flop_per_sample']:,} FLOP/sample): {100 * f['fraction_of_sgemm_2048']:.0f}% of sgemm 2048³ "
            f"({f['sgemm_gflops']['2048^3']} GFLOP/s, 2 threads)")
        say(f"- 2-thread OpenBLAS sgemm at the net's shapes {f['gemm_shapes']}: {f['sgemm_gflops']['net_shapes']} GFLOP/s "
            f"(PyTorch's MKL: {f['pytorch']['sgemm_gflops_at_net_shapes']}); a batch at those rates: "
            f"{f['two_thread_sgemm_samples_per_s']:,} samples/s — dl-fit reaches {100 * f['fraction_of_two_thread_sgemm_at_net_shapes']:.0f}%")
        say(f"- dl-fit's GEMM-only bound (each thread's shapes {f['thread_shapes']} at 1-thread rates "
            f"{f['one_thread_sgemm_gflops_at_thread_shapes']}): {f['gemm_bound_samples_per_s']:,} samples/s — "
            f"reached {100 * f['fraction_of_gemm_bound']:.0f}%")
        acc = f["test_accuracy_10_epochs"]
        say(f"- test accuracy after 10 epochs, seeds 0–{len(acc['dl-fit']) - 1}: dl-fit "
            f"{' / '.join(f'{100 * x:.2f}' for x in acc['dl-fit'])}% (median **{100 * acc['median_dl_fit']:.2f}%**), PyTorch "
            f"{' / '.join(f'{100 * x:.2f}' for x in acc['pytorch'])}% (median **{100 * acc['median_pytorch']:.2f}%**)")
        say(f"- peak RSS of the 10-epoch run: {f['max_rss_mb_10_epochs']} MB\n")
    if k := load("kfilter.json"):
        say("## dl-kfilter against FAISS (`bench/kfilter.py`)\n")
        say(f"- kernels: dl {k['machine']['dl']['blas']}; FAISS {k['faiss_version']} as installed: {blas(k['faiss_blas_as_installed'])}")
        say(f"- FAISS kernel trial (k = 10, batched, s): {k['faiss_kernel_trial_seconds']}; FAISS best = {k['faiss_best']['setting']}\n")
        say("| k | kept (thesis) | kept (dl-kfilter) | kept (FAISS) | same rows | dl-kfilter kNN s | dl-kfilter process s | FAISS installed s | FAISS best s |")
        say("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in k["table_5_1"]:
            fmt = lambda v: ", ".join(f"{x:.2f}" for x in v)
            say(f"| {r['k']} | {100 * r['thesis_kept']:.0f}% | {100 * r['dl_kfilter_kept']:.2f}% | {100 * r['faiss_kept']:.2f}% | "
                f"{'yes' if r['same_rows'] else 'NO'} | {fmt(r['dl-kfilter_seconds'])} | {fmt(r['dl_kfilter_process_seconds'])} | "
                f"{fmt(r['faiss-installed_seconds'])} | {fmt(r['faiss-best_seconds'])} |")
        b = k["batched"]
        say(f"\n- batched, all k: kNN time / FAISS best **{b['knn_time_vs_faiss-best']['median']}×** "
            f"(range {b['knn_time_vs_faiss-best']['range'][0]}–{b['knn_time_vs_faiss-best']['range'][1]}); "
            f"/ FAISS as installed {b['knn_time_vs_faiss-installed']['median']}×")
        say(f"- batched, whole process (read, kNN, write) / FAISS best in-process: **{b['process_time_vs_faiss-best_in_process']['median']}×** "
            f"(range {b['process_time_vs_faiss-best_in_process']['range'][0]}–{b['process_time_vs_faiss-best_in_process']['range'][1]})")
        w = k["whole_set"]
        say(f"- whole set (k = 10): dl-kfilter {w['dl-kfilter_seconds']} s (process {w['dl_kfilter_process_seconds']}), "
            f"FAISS installed {w['faiss-installed_seconds']}, best {w['faiss-best_seconds']}; kNN / FAISS best "
            f"**{w['knn_time_vs_faiss-best']['median']}×**; same rows: {w['same_rows']} ({100 * w['kept_fraction']:.2f}% kept); "
            f"RSS {w['rss_mb']} MB")
        a = k["baseline_test_accuracy"]
        say(f"- baseline net (10 epochs) on the k = 10 filtered set ({a['filtered_rows']:,} rows): {100 * a['filtered_k10']:.2f}% "
            f"test accuracy; on the full set: {100 * a['full']:.2f}%\n")
    if m := load("measure.json"):
        s = m["speed"]
        say("## dl-measure lsd against numpy (`bench/measure.py`)\n")
        say(f"- kernels: dl {m['machine']['dl']['blas']}; numpy {s['numpy_version']}: {blas(m['numpy_blas'])}")
        say(f"- whole process, s: dl-measure {s['dl_measure_seconds']}, numpy {s['numpy_seconds']}; ratio "
            f"**{s['time_ratio_median']}×** (range {s['time_ratio_range'][0]}–{s['time_ratio_range'][1]}); "
            f"RSS {s['dl_measure_rss_mb']} vs {s['numpy_rss_mb']} MB")
        say(f"- LSD {[round(x, 5) for x in s['lsd_dl_measure']]}, ranks {s['rank_dl_measure']} (numpy {s['rank_numpy']}); "
            f"max relative difference {s['max_relative_difference']:.1e}\n")
    text = "\n".join(out) + "\n"
    with open(os.path.join(RESULTS, "summary.md"), "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
