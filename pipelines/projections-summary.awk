# Th. 7's numbers beside ours, from the tables of pipelines/projections.mk.
# The thesis ran MNIST where we run Fashion-MNIST (Tables 7.2, 7.3): its numbers
# are there for the shape of the comparison, not as the same measurement.
BEGIN {
    FS = OFS = "\t"; print "quantity", "thesis", "ours"
    # Table 7.1 (CPU columns), keyed alpha_beta_solver_precision_flags.
    t["0.1_10_pinv_32_default"] = "80.25 ± 8.11"; t["0.1_10_pinv_32_cut"] = "87.16 ± 2.51 (tol 1e-5)"; t["0.1_10_pinv_64_default"] = "99.17 ± 1.63"
    t["0.1_10_lstsq_32_default"] = "61.92 ± 8.75"; t["0.1_10_lstsq_32_cut"] = "87.75 ± 11.33 (tol 1e-5)"; t["0.1_10_lstsq_64_default"] = "98.50 ± 2.57"
    t["0.1_10_ridge_32_default"] = "failed (solve)"; t["0.1_10_ridge_64_default"] = "94.87 ± 2.43 (solve)"
    t["1_2_pinv_32_default"] = "97.46 ± 1.80"; t["1_2_pinv_32_cut"] = "99.83 ± 0.36 (tol 1e-5)"; t["1_2_pinv_64_default"] = "99.93 ± 0.19"
    t["1_2_lstsq_32_default"] = "95.95 ± 3.04"; t["1_2_lstsq_32_cut"] = "95.70 ± 10.28 (tol 1e-5)"; t["1_2_lstsq_64_default"] = "99.93 ± 0.17"
    t["1_2_ridge_32_default"] = "failed (solve)"; t["1_2_ridge_64_default"] = "99.95 ± 0.15 (solve)"
    # Table 7.2, MNIST test accuracy by method and width.
    split("98 196 392 784 1568", W, " ")
    split("77.28 83.86 88.26 91.52 93.89", e, " "); split("89.19 90.55 91.89 93.34 94.63", r, " ")
    split("89.21 89.76 90.63 91.36 N/A", p, " "); split("86.19 90.71 93.14 94.64 95.88", s, " ")
    for (i = 1; i <= 5; i++) { m["elm_" W[i]] = e[i]; m["random_" W[i]] = r[i]; m["pca_" W[i]] = p[i]; m["sorted_" W[i]] = s[i] }
    # Table 7.3, MNIST test accuracy and GPU seconds.
    d["392-50"] = "95.07% in 0.06 s"; d["784-392"] = "96.55% in 0.09 s"; d["1568-1200-1000"] = "97.32% in 0.40 s"
}
FNR == 1 { file = FILENAME; turns = file ~ /turns-1\.5/ ? "1.5-turn " : ""; sub(/.*\//, "", file); next }
file == "sine.tsv" { mse[++ns] = $2; five[ns] = $3 }
file == "deep-sine.tsv" { print "sine 1-16x" $2 "-1 CELU, " $1 " tries: lowest MSE over the layers (layer; fit seconds)", "Fig. 7.6 (plot)", $3 " (layer " $4 "; " $6 " s)" }
file == "table7.1.tsv" {
    k = $1 "_" $2 "_" $3 "_" $4 "_" $5
    what = turns "spirals (α, β) = (" $1 ", " $2 "), " $3 " float" $4 (($5 == "default") ? "" : ($5 == "cut" ? " --rcond 1e-5" : " --ridge 1"))
    print what ": accuracy over " $6 " projections", (k in t) ? t[k] : "NA", ($8 == "NA" ? "failed" : $8 " ± " $9) ($7 > 0 && $8 != "NA" ? " (" $7 " failed)" : "")
}
file == "checkerboard.tsv" {
    if ($1 == "projections") print "checkerboard " $5 "-layer ReLU net, (α, β) = (" $2 ", " $3 "), float" $4 ": training accuracy", "100", $6 " (" $8 " s)"
    else print "checkerboard, " $1 ": training accuracy", "about 51 (Th. 5.4.2)", $6
}
file == "checkerboard-width.tsv" && ($1 == 1024 || $1 == 2048) { print "checkerboard 4-layer net, width " $1 ": training accuracy", ($1 == 1024 ? "95.62" : "99.84"), $3 }
file == "table7.2.tsv" && $3 > 0 { print "Fashion-MNIST (thesis: MNIST) 784-" $2 "-10, " $1 ": test accuracy over " $3 " fit" ($3 > 1 ? "s" : ""), m[$1 "_" $2], $6 ($3 > 1 ? " ± " $7 : "") }
file == "table7.3.tsv" {
    if ($1 == "projections") print "Fashion-MNIST (thesis: MNIST) 784-" $2 "-10 deterministic, weighted PCA: test accuracy, fit seconds", d[$2], $9 "% in " $5 " s"
    else print "Fashion-MNIST (thesis: MNIST) 784-392-50-10 " $1 ": test accuracy, seconds", "98.12% (10 epochs)", $9 "% in " $5 " s"
}
END {
    n = ns
    if (n) {
        sortnum(mse, n); sortnum(five, n)
        print "sine 1-16-16-1 CELU (Figure 7.3), 1 try: MSE, median (best) over " n " seeds", "2e-5", sprintf("%.2g (%.2g)", median(mse, n), mse[1])
        print "sine 1-16-16-1 CELU, 5 tries: MSE, median (best) over " n " seeds", "NA", sprintf("%.2g (%.2g)", median(five, n), five[1])
    }
}
# Insertion sort and median of a[1..n] (mawk has no asort).
function sortnum(a, n,    i, j, v) { for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > v + 0; j--) a[j + 1] = a[j]; a[j + 1] = v } }
function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
