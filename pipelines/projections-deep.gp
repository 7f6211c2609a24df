# Th. Figures 7.5d and 7.6: the MSE (LSD) of every layer of the deep width-16
# sine nets, one line per number of tries, and the lowest MSE against the tries.
#   gnuplot -e "dir='out/th7'; tries='1 5 50'" pipelines/projections-deep.gp > out/th7/deep-sine.png
set terminal pngcairo size 1100,450 font ",11"
set datafile separator "\t"
set multiplot layout 1,2 title "Platonic Projections on the sine, width 16 (Th. Figures 7.5d, 7.6)"
set grid
set logscale y
set format y "%.0e"
set xlabel "layer"
set ylabel "MSE (LSD of Z_i)"
set key top right
set title "MSE by layer"
plot for [n in tries] sprintf("%s/deep-sine-n%s.tsv", dir, n) every ::1 using 1:5 with lines lw 1.5 title sprintf("%s tries", n)
set title "lowest MSE over the layers"
set xlabel "tries per layer"
set logscale x
unset key
plot sprintf("%s/deep-sine.tsv", dir) every ::1 using 1:3 with linespoints lw 2 pt 7
unset multiplot
