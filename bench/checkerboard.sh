#!/usr/bin/env bash
# Th. 5.4.2, the checkerboard conundrum: the training accuracy SGD + backprop
# reaches on 5,000 points of an 8×8 board (the thesis: stuck near 51–53%).
# 200 epochs, batch 32, lr 0.01, momentum 0.9; accuracy by `dl-fit eval` on /train.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$BIN/dl-data checkerboard -q > "$tmp/board.h5"
printf '| net | hidden | train accuracy after 200 epochs |\n| --- | --- | --- |\n'
for cfg in "2-32-32-32-32-2 tanh" "2-64-64-2 relu" "2-256-256-2 relu"; do
  set -- $cfg
  $BIN/dl-fit "$tmp/board.h5" --arch "$1" --hidden "$2" --epochs 200 --batch-size 32 --lr 0.01 -q -o "$tmp/m.h5"
  acc=$($BIN/dl-fit eval "$tmp/m.h5" "$tmp/board.h5" | awk -F'\t' '$1 == "train" { printf "%.2f%%", 100 * $4 }')
  printf '| %s | %s | %s |\n' "$1" "$2" "$acc"
done

# Th. 5.4.2: k-filter the board first, train on what is left, then measure the
# accuracy on the whole board.
printf '\n| net | hidden | k | rows kept | accuracy on the whole board after 200 epochs on the filtered rows |\n| --- | --- | --- | --- | --- |\n'
for k in 5 10; do
  $BIN/dl-kfilter -k "$k" -q "$tmp/board.h5" -o "$tmp/filtered.h5"
  kept=$($BIN/dl-data info "$tmp/filtered.h5" | awk '/\/train\/X/ { gsub(/[\[,]/, "", $2); print $2; exit }')
  for cfg in "2-32-32-32-32-2 tanh" "2-64-64-2 relu"; do
    set -- $cfg
    $BIN/dl-fit "$tmp/filtered.h5" --arch "$1" --hidden "$2" --epochs 200 --batch-size 32 --lr 0.01 -q -o "$tmp/m.h5"
    acc=$($BIN/dl-fit eval "$tmp/m.h5" "$tmp/board.h5" | awk -F'\t' '$1 == "train" { printf "%.2f%%", 100 * $4 }')
    printf '| %s | %s | %s | %s of 5000 | %s |\n' "$1" "$2" "$k" "$kept" "$acc"
  done
done
