# Figure 5 (right): the mutual information of each level of fig5 with the input
# type and with the label over training.
#   gnuplot -e "in='out/neurashed/information.tsv'; out='out/neurashed/information.png'" pipelines/neurashed-information.gp
set terminal pngcairo size 900,500 font ",11"
set output out
set datafile separator "\t"
set title "Information bottleneck on fig5 (Figure 5): noisy-mixture MI, σ = 0.1"
set xlabel "iteration"
set ylabel "bits"
set yrange [0:3.2]
set grid
set key top right
sel(l) = sprintf("< awk -F'\t' 'NR > 1 && $2 == %d' '%s'", l, in)
plot sel(1) using 1:3 with lines lw 2 title "I(level 1; input)", \
     sel(2) using 1:3 with lines lw 2 title "I(level 2; input)", \
     sel(1) using 1:4 with lines lw 2 dt 2 title "I(level 1; label)", \
     sel(2) using 1:4 with lines lw 2 dt 2 title "I(level 2; label)"
