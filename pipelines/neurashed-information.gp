# Figure 5 (right): the mutual information of each level of fig5 with the input
# type and with the label over training, in two panels so no curve hides another.
#   gnuplot -e "in='out/neurashed/information.tsv'; out='out/neurashed/information.png'" pipelines/neurashed-information.gp
set terminal pngcairo size 1300,500 font ",11"
set output out
set datafile separator "\t"
set multiplot layout 1,2 title "Information bottleneck on fig5 (Figure 5): noisy-mixture MI, σ = 0.1"
set xlabel "iteration"
set ylabel "bits"
set yrange [-0.05:3.2]
set grid
set key top right
sel(l) = sprintf("< awk -F'\t' 'NR > 1 && $2 == %d' '%s'", l, in)
set title "I(level; input type)"
plot sel(1) using 1:3 with linespoints lw 2 pt 7 ps 0.6 pi 10 lc rgb "#1f77b4" title "level 1", \
     sel(2) using 1:3 with linespoints lw 2 pt 5 ps 0.6 pi 10 lc rgb "#d62728" title "level 2"
set title "I(level; label)"
plot sel(1) using 1:4 with linespoints lw 2 pt 7 ps 0.6 pi 10 lc rgb "#1f77b4" title "level 1", \
     sel(2) using 1:4 with linespoints lw 2 dt 2 pt 5 ps 0.6 pi 10 lc rgb "#d62728" title "level 2"
unset multiplot
