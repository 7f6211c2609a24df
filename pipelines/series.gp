# Bits per parameter of a model's weights after every epoch (dl-compress series
# over a dl-fit --snapshots file, Th. Figure 3.5): the mean N and the
# Huffman-coded rate of all tensors together, and the ratio to float32.
# `net` (optional) names the model, `flags` (optional) dl-compress's flags.
#   gnuplot -e "in='out/backprop.series.tsv'; net='784-392-50-10'; flags=''; out='out/bits-per-epoch.png'" pipelines/series.gp
set terminal pngcairo size 1100,450 font ",11"
set output out
set datafile separator "\t"
setting = (exists("flags") && flags ne "") ? "dl-compress ".flags : "c = 5, dl-compress's default"
set title "Bits per parameter of ".(exists("net") ? "the ".net." model" : "a model")."'s weights after every epoch\n(Th. Algorithm 1; ".setting.")"
set xlabel "epoch"
set ylabel "bits per parameter"
set grid
set key outside right top vertical
total = "< awk -F'\t' '$2 == \"total\"' '".in."'"
# The epochs only, a margin around them, so no marker is cut at the frame.
stats total using 1 nooutput
set xrange [STATS_min - 0.3 : STATS_max + 0.3]
set xtics STATS_min, 1, STATS_max
set offsets 0, 0, graph 0.08, graph 0.08
plot total using 1:4 with linespoints lw 2 pt 7 title "N (quantized)", \
     total using 1:6 with linespoints lw 2 pt 5 title "Huffman-coded stream", \
     total using 1:7 with linespoints lw 1 pt 4 dt 2 title "package (with code tables)"
