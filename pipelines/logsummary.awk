# One summary row of a `dl-fit log` table (Th. 3.8–3.9): the final and the peak
# test accuracy, the epoch of the peak (the thesis' convergence: "the peaking of
# generalization accuracy"), and the mean over the epochs of N per parameter and
# of the Huffman-coded bits per parameter (NA without --quantize).
#   awk -v run=c5 -v seed=1 -f pipelines/logsummary.awk model.log.tsv
BEGIN { FS = OFS = "\t"; if (seed == "") seed = "NA" }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    acc = $col["test_accuracy"] + 0
    if (NR == 2 || acc > peak) { peak = acc; peakEpoch = $col["epoch"] }
    last = acc; n++
    if ("quantize_mean_bits" in col) { bits += $col["quantize_mean_bits"]; huff += $col["quantize_total_bits_per_param"] }
}
END {
    q = ("quantize_mean_bits" in col)
    print run, seed, n, last, peak, peakEpoch, (q ? bits / n : "NA"), (q ? huff / n : "NA")
}
