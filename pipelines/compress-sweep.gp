# Th. Figure 3.4b, d: peak test accuracy and the epoch of the peak against the
# floor c (M = 4), one point per seed, the baseline as a line; and the mean bits
# per parameter, quantized and Huffman-coded.
#   gnuplot -e "in='out/th3/sweep.tsv'; out='out/th3/sweep.png'" pipelines/compress-sweep.gp
set terminal pngcairo size 1500,450 font ",11"
set output out
set datafile separator "\t"
set multiplot layout 1,3 title "Quantized training against the floor c at M = 4 (Th. Figure 3.4b, d), Fashion-MNIST"
set xlabel "c"
set xtics 1
set offsets 0.5, 0.5, 0, 0
set grid
set key bottom right
runs = "< awk -F'\t' 'NR > 1 && $1 != \"baseline\" { sub(/^c/, \"\", $1); print }' OFS='\t' '".in."'"
base = "< awk -F'\t' 'NR > 1 && $1 == \"baseline\"' '".in."'"
stats base using (100*$5) nooutput name "B"
stats base using (100*$4) nooutput name "BF"
stats base using 6 nooutput name "E"
set title "Test accuracy"
set ylabel "test accuracy (%)"
plot runs using 1:(100*$5) with points pt 7 title "quantized training, peak", \
     B_mean with lines dt 2 lw 2 title "baseline's peak (mean over seeds)", \
     runs using 1:(100*$10) with points pt 6 title "baseline's final model, decoded", \
     BF_mean with lines dt 3 lw 2 title "baseline's final model (mean)"
set title "Epoch of the peak (convergence)"
set ylabel "epoch"
plot runs using 1:6 with points pt 7 title "quantized training", E_mean with lines dt 2 lw 2 title "baseline (mean)"
set title "Mean bits per parameter over the epochs"
set ylabel "bits per parameter"
plot runs using 1:7 with points pt 7 title "N (quantized)", runs using 1:8 with points pt 5 title "Huffman-coded"
unset multiplot
