# Mean and standard deviation (population, as torch.std(unbiased=False) and numpy) of
# one number per line; "failed" lines are counted apart. Prints a Table 7.1 row.
$1 == "failed" { failed++; next }
{ n++; t += $1; q += $1 * $1 }
END {
    mean = n ? t / n : 0; var = n ? q / n - mean * mean : 0
    printf "%s\t%s\t%s\t%s\t%s\t%d\t%d\t", a, b, s, p, f, n + failed, failed
    if (n) printf "%.2f\t%.2f\n", mean, sqrt(var > 0 ? var : 0); else printf "NA\tNA\n"
}
