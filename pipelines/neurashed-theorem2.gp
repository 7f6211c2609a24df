# Theorem 2: ΔZ_j/ΔZ_j' against the number of levels L on random graphs (b1 = 2,
# b2 = 3), one line per t; Theorem 1's limit (b1+b2)/b1 as a dashed line.
#   gnuplot -e "in='out/neurashed/theorem2.tsv'; out='out/neurashed/theorem2.png'" pipelines/neurashed-theorem2.gp
set terminal pngcairo enhanced size 800,500 font ",11"
set output out
set datafile separator "\t"
set title "Theorem 2: the same-class to other-class logit change grows with depth"
set xlabel "levels L"
set ylabel "ΔZ_j / ΔZ_j'"
set logscale xy
# One tick format an axis: the levels run as plain numbers; the ratio, which
# spans many decades, as powers of ten throughout.
set format x "%g"
set xtics (1, 2, 4, 8, 16, 32, 64)
set xrange [0.85:75]
set format y "10^{%L}"
set ytics 10
set offsets 0, 0, graph 0.05, graph 0.02
set mytics 10
set grid
set key top left
sel(t) = sprintf("< awk -F'\t' 'NR > 1 && $6 == %d' '%s'", t, in)
plot sel(1) using 2:8 with linespoints lw 2 title "t = 1", \
     sel(10) using 2:8 with linespoints lw 2 title "t = 10", \
     sel(100) using 2:8 with linespoints lw 2 title "t = 100", \
     2.5 with lines dt 2 lc rgb "black" title "(b1+b2)/b1 = 2.5"
