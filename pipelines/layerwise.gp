# Layer-wise training (Th. 6): each subnet's test accuracy (dl-layerwise's
# per-layer log) and the LSD of each layer's features on /train (dl-measure lsd,
# Th. Fig. 5.6), against the layer.
#   gnuplot -e "acc='out/layerwise.tsv'; lsd='out/lsd.tsv'; out='out/layerwise.png'" pipelines/layerwise.gp
set terminal pngcairo size 1000,450 font ",11"
set output out
set datafile separator "\t"
set multiplot layout 1,2 title "Layer-wise training, layer by layer"
set xlabel "layer"
set grid

# The report's columns by name: last_layer, test_accuracy.
accRows = "< awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } $c[\"test_accuracy\"] != \"NA\" { print $c[\"last_layer\"] \"\t\" $c[\"test_accuracy\"] }' '".acc."'"
# An axis of at least 10 points: a spread of a few tenths is not drawn as a
# cliff. The layers only on x, a margin around them, so no marker is cut.
# (Both stats run before any range is set: a range filters what stats sees.)
stats accRows using (100*$2) nooutput
mid = (STATS_min + STATS_max) / 2
half = (STATS_max - STATS_min) / 2 + 1 > 5 ? (STATS_max - STATS_min) / 2 + 1 : 5
stats accRows using 1 nooutput
set xrange [STATS_min - 0.3 : STATS_max + 0.3]
set xtics STATS_min, 1, STATS_max
set yrange [mid - half > 0 ? mid - half : 0 : mid + half < 100 ? mid + half : 100]
set title "Test accuracy of each subnet (layer + decision layer)"
set ylabel "test accuracy (%)"
plot accRows using 1:(100*$2) with linespoints lw 2 pt 7 notitle
unset yrange

set title "Least squares distance of the layer's features to Y"
set ylabel "LSD = (1/m)·‖Y − Z Z⁺Y‖²"
set xlabel "layer (0 = input X)"
lsdRows = sprintf("< awk -F'\t' '$1 == \"lsd\" && $2 == \"train\"' '%s'", lsd)
unset yrange
unset xrange
stats lsdRows using 3 nooutput
set xrange [STATS_min - 0.3 : STATS_max + 0.3]
set xtics STATS_min, 1, STATS_max
set offsets 0, 0, graph 0.08, graph 0.08
plot lsdRows using 3:5 with linespoints lw 2 pt 7 notitle

unset multiplot
