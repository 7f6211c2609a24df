# Th. Figure 3.5: bits per parameter after every epoch, N (quantized) and
# Huffman-coded, for training with --quantize dynamic:c=5 and c=6, and the
# unquantized baseline's weights compressed at c = 5.
#   gnuplot -e "in='out/th3/bits-per-epoch.tsv'; out='out/th3/bits-per-epoch.png'" pipelines/compress-bits.gp
set terminal pngcairo size 1100,450 font ",11"
set output out
set datafile separator "\t"
set multiplot layout 1,2 title "Bits per parameter by epoch (Th. Figure 3.5), 784-392-50-10 tanh, Fashion-MNIST"
set xlabel "epoch"
set ylabel "bits per parameter"
set grid
set key top right
sel(r) = sprintf("< awk -F'\t' '$1 == \"%s\"' '%s'", r, in)
set title "c = 5, M = 4"
plot sel("quantized c=5") using 2:3 with lines lw 2 title "N (quantized)", \
     sel("quantized c=5") using 2:4 with lines lw 2 title "Huffman-coded", \
     sel("baseline compressed c=5") using 2:4 with lines lw 1 dt 2 title "baseline's weights, Huffman-coded"
set title "c = 6, M = 4"
plot sel("quantized c=6") using 2:3 with lines lw 2 title "N (quantized)", \
     sel("quantized c=6") using 2:4 with lines lw 2 title "Huffman-coded"
unset multiplot
