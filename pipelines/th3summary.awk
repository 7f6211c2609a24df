# The thesis' Th. 3.8–3.9 numbers (MNIST, 100 epochs) beside ours, from the
# logsummary.awk rows of the runs baseline, c5 and c6 (run, seed, epochs, final,
# peak, peak epoch, mean N, mean Huffman bits).
BEGIN { FS = OFS = "\t" }
{ final[$1] = $4; peak[$1] = $5; at[$1] = $6; bits[$1] = $7; huff[$1] = $8; epochs = $3 }
END {
    print "quantity", "thesis", "ours"
    printf "epochs\t100\t%d\n", epochs
    printf "c=5: mean N per parameter over the epochs\t6.8\t%.3f\n", bits["c5"]
    printf "c=5: ratio to float32 after quantization\t4.70\t%.2f\n", 32 / bits["c5"]
    printf "c=5: mean Huffman-coded bits per parameter\t3.55\t%.3f\n", huff["c5"]
    printf "c=5: ratio to float32 after Huffman coding\t9.01\t%.2f\n", 32 / huff["c5"]
    printf "c=6: mean Huffman-coded bits per parameter\t3.78\t%.3f\n", huff["c6"]
    printf "c=6: ratio to float32 after Huffman coding\t8.47\t%.2f\n", 32 / huff["c6"]
    printf "peak test accuracy (%%): baseline, c=5, c=6\tc=5 marginally below the baseline, c=6 above it\t%.2f, %.2f, %.2f\n", 100 * peak["baseline"], 100 * peak["c5"], 100 * peak["c6"]
    printf "final test accuracy (%%): baseline, c=5, c=6\t-\t%.2f, %.2f, %.2f\n", 100 * final["baseline"], 100 * final["c5"], 100 * final["c6"]
    printf "epoch of the peak: baseline, c=5, c=6\tc=6 peaks in 20%% fewer iterations\t%d, %d, %d\n", at["baseline"], at["c5"], at["c6"]
}
