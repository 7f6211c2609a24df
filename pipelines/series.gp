# Bits per parameter of a model's weights after every epoch (dl-compress series
# over a dl-fit --snapshots file, Th. Figure 3.5): the mean N and the
# Huffman-coded rate of all tensors together, and the ratio to float32.
#   gnuplot -e "in='out/backprop.series.tsv'; out='out/bits-per-epoch.png'" pipelines/series.gp
set terminal pngcairo size 800,450 font ",11"
set output out
set datafile separator "\t"
set title "Bits per parameter after every epoch (Th. Algorithm 1)"
set xlabel "epoch"
set ylabel "bits per parameter"
set xtics 1
set grid
set key top right
total = "< awk -F'\t' '$2 == \"total\"' '".in."'"
plot total using 1:4 with linespoints lw 2 pt 7 title "N (quantized)", \
     total using 1:6 with linespoints lw 2 pt 5 title "Huffman-coded stream", \
     total using 1:7 with linespoints lw 1 pt 4 dt 2 title "package (with code tables)"
