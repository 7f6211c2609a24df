# Layer-wise training (Th. 6): each subnet's test accuracy (dl-layerwise's
# per-layer log) and the LSD of each layer's features on /train (dl-measure lsd,
# Th. Fig. 5.6), against the layer.
#   gnuplot -e "acc='out/layerwise.tsv'; lsd='out/lsd.tsv'; out='out/layerwise.png'" pipelines/layerwise.gp
set terminal pngcairo size 1000,450 font ",11"
set output out
set datafile separator "\t"
set multiplot layout 1,2 title "Layer-wise training, layer by layer"
set xlabel "layer"
set xtics 1
set grid

set title "Test accuracy of each subnet (layer + decision layer)"
set ylabel "test accuracy (%)"
plot "< awk -F'\t' 'NR > 1 && $13 != \"NA\"' '".acc."'" using 4:(100*$13) with linespoints lw 2 pt 7 notitle

set title "Least squares distance of the layer's features to Y"
set ylabel "LSD = (1/m)·‖Y − Z Z⁺Y‖²"
set xlabel "layer (0 = input X)"
plot sprintf("< awk -F'\t' '$1 == \"lsd\" && $2 == \"train\"' '%s'", lsd) using 3:5 with linespoints lw 2 pt 7 notitle

unset multiplot
