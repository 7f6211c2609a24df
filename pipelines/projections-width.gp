# Th. Figure 7.11: 4-layer ReLU nets on the checkerboard (5 tries, α = 0.08,
# β = 200), MSE and training accuracy against the hidden width.
#   gnuplot -e "in='out/th7/checkerboard-width.tsv'" pipelines/projections-width.gp > out/th7/checkerboard-width.png
set terminal pngcairo size 1100,450 font ",11"
set datafile separator "\t"
set multiplot layout 1,2 title "Checkerboard, 4-layer nets by width (Th. Figure 7.11)"
set grid
set logscale x 2
set xlabel "units per hidden layer"
unset key
set title "MSE"
set logscale y
plot in every ::1 using 1:4 with linespoints lw 2 pt 7
unset logscale y
set title "training accuracy (%)"
plot in every ::1 using 1:3 with linespoints lw 2 pt 7
unset multiplot
