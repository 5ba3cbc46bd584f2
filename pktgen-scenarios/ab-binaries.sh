#!/bin/bash
# A/B of two jitterguard binaries on the test bed, interleaved seed by seed:
# for every seed, one shield run with each binary on the same emulator seed,
# the order alternating from seed to seed, so that slow drifts of the
# machine fall on both binaries alike (goodput.py interleaves arms, not
# binaries).
#
#   pktgen-scenarios/ab-binaries.sh NAME BEFORE_BIN AFTER_BIN PROFILES SEED...
#
# Writes docs/benchmarks/NAME-before.{csv,md} and NAME.{csv,md} (one
# goodput.py campaign per binary, appended run by run), CUBIC, shield arm,
# 10 s runs. Example (the DSACK answer A/B in docs/BENCHMARKS.md):
#
#   pktgen-scenarios/ab-binaries.sh dsack-answer /tmp/jg-before \
#       target/release/jitterguard upf-loss-1,lfn-upf-loss-0.1 1 2 3 4 5 6
set -euo pipefail

if [ $# -lt 5 ]; then
    sed -n '2,15p' "$0" >&2
    exit 2
fi
name=$1 before=$2 after=$3 profiles=$4
shift 4
repo=$(cd "$(dirname "$0")/.." && pwd)
for bin in "$before" "$after"; do
    [ -x "$bin" ] || { echo "ab-binaries: $bin is not an executable" >&2; exit 2; }
done

i=0
for seed in "$@"; do
    if [ $((i % 2)) = 0 ]; then order="before after"; else order="after before"; fi
    for which in $order; do
        if [ "$which" = before ]; then bin=$before out=$name-before; else bin=$after out=$name; fi
        append=()
        [ -f "$repo/docs/benchmarks/$out.csv" ] && append=(--append)
        JG_BIN=$(realpath "$bin") /usr/bin/python3 "$repo/pktgen-scenarios/goodput.py" \
            --profiles "$profiles" --extra-cases '' --cc cubic --arms shield --runs 1 \
            --seed-base "$seed" --duration 10 --name "$out" "${append[@]}"
    done
    i=$((i + 1))
done
