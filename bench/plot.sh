#!/usr/bin/env bash
# Draws the figures of docs/performance.md from benchmark output:
#   bench/plot.sh RESULTS OUT_DIR
# RESULTS holds http-summary.tsv (bench/http/run.sh) and growth.tsv,
# length.tsv (bench/summary.py); OUT_DIR gets http-throughput.svg,
# http-latency.svg, growth.svg and length.svg. Needs gnuplot (gnuplot-nox).
set -euo pipefail
results=$1
out=$2
mkdir -p "$out"
common='set terminal svg size 640,400 dynamic font "sans,11" background "white"
set key top left
set grid
set datafile separator "\t"'

if [ -f "$results/http-summary.tsv" ]; then
  gnuplot <<EOF
$common
# The rows of one server, so that its points are joined by a line.
rows(s) = sprintf("< awk -F'\t' '\$2 == \"%s\"' '%s'", s, "$results/http-summary.tsv")
set output "$out/http-throughput.svg"
set title "Turns per second vs keep-alive connections (loopback, wrk)"
set xlabel "connections"
set ylabel "turns/s (median)"
set logscale x 2
set yrange [0:*]
plot for [s in "minimal memory sqlite"] rows(s) using 1:3 with linespoints lw 2 title s
set output "$out/http-latency.svg"
set title "Latency vs keep-alive connections (median of runs)"
set ylabel "ms"
set logscale y
set yrange [*:*]
plot for [s in "minimal memory sqlite"] rows(s) using 1:4 with linespoints lw 2 title s." p50", \
  for [s in "minimal memory sqlite"] rows(s) using 1:5 with linespoints lw 2 dt 2 title s." p99"
EOF
fi

if [ -f "$results/growth.tsv" ]; then
  gnuplot <<EOF
$common
set output "$out/growth.svg"
set title "Turn time vs number of intents (one RE2::Set)"
set xlabel "intents (shipped + generated)"
set xrange [100:20000]
set ylabel "CPU time per turn, us (median)"
set logscale x 10
set yrange [0:*]
plot "$results/growth.tsv" using 1:2 skip 1 with linespoints lw 2 title "matches a generated intent", \
     "$results/growth.tsv" using 1:3 skip 1 with linespoints lw 2 title "matches no generated intent"
EOF
fi

if [ -f "$results/length.tsv" ]; then
  gnuplot <<EOF
$common
set output "$out/length.svg"
set title "Turn time vs message length (input is cut at 2,000 bytes)"
set xlabel "message bytes"
set ylabel "CPU time per turn, us (median)"
set logscale x 10
set yrange [0:*]
plot "$results/length.tsv" using 1:2 skip 1 with linespoints lw 2 title "turn"
EOF
fi
echo "plot.sh: figures in $out"
