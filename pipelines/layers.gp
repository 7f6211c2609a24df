# Per-layer measures of a dl-measure table (metric split layer param value) as
# one PNG: LSD (Th. Fig. 5.6), k-redundancy (Fig. 5.14) and H(Y|Z) (Fig. 5.21)
# against the layer, on the train split. Layer 0 is the input X; the last layer
# is the net's output Ŷ. `net` (optional) names the architecture in the title.
#   gnuplot -e "in='out/measures.tsv'; net='784-392-50-10'; out='out/layers.png'" pipelines/layers.gp
set terminal pngcairo size 1500,450 font ",11"
set output out
set datafile separator "\t"
last = int(system(sprintf("awk -F'\t' 'NR > 1 && $3 ~ /^[0-9]+$/ && $3 > m {m = $3} END {print m + 0}' '%s'", in)))
set multiplot layout 1,3 title "Per-layer measures on /train".(exists("net") ? " of ".net : "").sprintf(" (layer 0 = the input X, layer %d = the output Ŷ)", last)
set xlabel "layer"
# The layers only, a margin around them, so no marker is cut at the frame.
set xrange [-0.3:last + 0.3]
set xtics 0, 1, last
set xtics add ("X" 0, "Ŷ" last)
set offsets 0, 0, graph 0.08, graph 0.08
set grid
set key bottom right

rows(metric) = sprintf("< awk -F'\t' '$1 == \"%s\" && $2 == \"train\"' '%s'", metric, in)
kRows(k) = sprintf("< awk -F'\t' '$1 == \"k_redundancy\" && $2 == \"train\" && $4 == \"%d\"' '%s'", k, in)

set title "Least squares distance to Y"
set ylabel "LSD = (1/m)·‖Y − Z Z⁺Y‖²"
plot rows("lsd") using 3:5 with linespoints lw 2 pt 7 notitle

set title "k-redundancy"
set ylabel "fraction redundant"
set yrange [0:1.05]
ks = system(sprintf("awk -F'\t' '$1 == \"k_redundancy\" && $2 == \"train\" {print $4}' '%s' | sort -nu", in))
plot for [k in ks] kRows(k+0) using 3:5 with linespoints lw 2 pt 7 title "k = ".k
unset yrange

set title "H(Y|Z): class entropy of feature selections"
set ylabel "bits"
plot rows("conditional_entropy") using 3:5 with linespoints lw 2 pt 7 notitle

unset multiplot
