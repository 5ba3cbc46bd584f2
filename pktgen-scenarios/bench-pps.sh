#!/usr/bin/env bash
# Packet-rate benchmark: dpdk-testpmd (io, 5tswap) against jitterguard (each
# mode asked for) on the same net_pcap infinite_rx input, one worker core,
# arms alternated (A B, then B A, ...) and repeated; prints Mpps per run, medians and
# ratios to testpmd, and appends everything (with the exact command) to a
# results file.
#
# Topology (identical for every arm):
#   port 0 = net_pcap0,rx_pcap=NAME.core.pcap,infinite_rx=1   (the core port)
#   port 1 = net_pcap1,rx_pcap=NAME.access.pcap,infinite_rx=1 (the access port)
# Both ports receive their pcap in an endless loop and forward to the other
# port. Neither vdev has tx_pcap/tx_iface, so net_pcap (DPDK 22.11) installs
# its "tx_drop" burst function on TX: frames are counted and freed, nothing
# touches the disk. Both directions of every flow are exercised, as on a real
# bump in the wire. Note infinite_rx copies every frame from a preloaded mbuf
# into a fresh one (a memcpy per packet), which both tools pay alike.
#
# Rate measured:
#   testpmd:     --stats-period=1; per period the Tx-pps of both ports summed;
#                the first period with traffic (partial) is dropped; the run's
#                figure is the mean of the remaining periods.
#   jitterguard: its final "final total ... tx=N" line and "final elapsed_s=S"
#                (workers' running time, setup excluded): tx / S.
# Both count frames transmitted (= forwarded) by the worker, both directions.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench-pps.sh [options]
  --scenario DIR/NAME   use DIR/NAME.core.pcap and DIR/NAME.access.pcap
                        (make them with jg-gen bulk ...; default
                        /tmp/jg-pps/bulk-1000f-ack64, generated if missing)
  --modes LIST          jitterguard modes, comma-separated (default passthrough;
                        e.g. passthrough,monitor,shield)
  --testpmd-modes LIST  testpmd forward modes (default io,5tswap)
  --runs N              rounds of all arms (default 3)
  --seconds S           forwarding time per run (default 10)
  --lcores L            EAL -l list, main lcore first, one worker (default 0,1)
  --mem MB              EAL -m with --no-huge (default 1024)
  --baseline-bin PATH   also run every jitterguard mode with this binary (arm
                        "jitterguard-MODE-baseline", alternated with the
                        current binary's arm): an A/B of two builds
  --no-jitterguard      testpmd arms only
  --no-testpmd          jitterguard arms only
  --results FILE        append the run log here as a fenced block (default
                        docs/benchmarks/pps.md in the repo)
environment: JG_BIN (default target/release/jitterguard of this repository),
             TESTPMD (default dpdk-testpmd), JG_GEN (jg-gen binary, used only to
             generate the default scenario)
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
scenario=/tmp/jg-pps/bulk-1000f-ack64
jg_modes=passthrough
tp_modes=io,5tswap
runs=3
seconds=10
lcores=0,1
mem=1024
want_jg=1
want_tp=1
baseline_bin=
results="$repo/docs/benchmarks/pps.md"
JG_BIN=${JG_BIN:-${CARGO_TARGET_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target}/release/jitterguard}
TESTPMD=${TESTPMD:-dpdk-testpmd}
cmdline="$0 $*"

while [ $# -gt 0 ]; do
    case "$1" in
        --scenario) scenario=$2; shift 2 ;;
        --modes) jg_modes=$2; shift 2 ;;
        --testpmd-modes) tp_modes=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --lcores) lcores=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --baseline-bin) baseline_bin=$2; shift 2 ;;
        --no-jitterguard) want_jg=0; shift ;;
        --no-testpmd) want_tp=0; shift ;;
        --results) results=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench-pps: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "bench-pps: $*" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive integer"
[[ $lcores =~ ^[0-9]+,[0-9]+$ ]] || die "--lcores must be MAIN,WORKER (one worker core)"

core_pcap="$scenario.core.pcap"
access_pcap="$scenario.access.pcap"
if [ ! -f "$core_pcap" ] && [ "$scenario" = /tmp/jg-pps/bulk-1000f-ack64 ]; then
    gen=${JG_GEN:-}
    if [ -z "$gen" ]; then
        (cd "$repo" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-gen} \
            cargo build -q --release -p jg-scenario-gen)
        gen=${CARGO_TARGET_DIR:-/tmp/target-gen}/release/jg-gen
    fi
    "$gen" bulk --flows 1000 --mix ack64 --out-dir /tmp/jg-pps
fi
[ -f "$core_pcap" ] || die "missing $core_pcap"
[ -f "$access_pcap" ] || die "missing $access_pcap"
core_pcap=$(realpath "$core_pcap")
access_pcap=$(realpath "$access_pcap")

if [ $want_tp = 1 ]; then
    command -v "$TESTPMD" >/dev/null || die "$TESTPMD not found (apt-get install dpdk)"
fi
[ -z "$baseline_bin" ] || [ -x "$baseline_bin" ] || die "--baseline-bin $baseline_bin is not executable"
if [ $want_jg = 1 ] && [ ! -x "$JG_BIN" ]; then
    echo "bench-pps: $JG_BIN not found or not executable: jitterguard arms skipped" >&2
    want_jg=0
fi
[ $want_tp = 1 ] || [ $want_jg = 1 ] || die "nothing to run"

# Frames per pcap: infinite_rx keeps all of them in mbufs of the RX pool, so
# the pool must hold both files plus what the rings and caches take.
count_frames() {
    capinfos -M -c -T "$1" 2>/dev/null | awk -F'\t' 'NR==2 {print $2}'
}
core_frames=$(count_frames "$core_pcap")
access_frames=$(count_frames "$access_pcap")
[[ $core_frames =~ ^[0-9]+$ && $access_frames =~ ^[0-9]+$ ]] \
    || die "cannot count frames (capinfos from tshark/wireshark-common needed)"
mbufs=$((core_frames + access_frames + 16384))

eal_common=(--no-huge -m "$mem" --no-pci -l "$lcores")
dev_core="net_pcap0,rx_pcap=$core_pcap,infinite_rx=1"
dev_access="net_pcap1,rx_pcap=$access_pcap,infinite_rx=1"

workdir=$(mktemp -d /tmp/jg-bench-pps.XXXXXX)
child=
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -INT "$child" 2>/dev/null || true
        sleep 2
        kill -KILL "$child" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# Waits (up to 60 s) until PATTERN (an extended regex) appears in FILE or process $child exits.
wait_for() {
    local file=$1 pattern=$2 i
    for i in $(seq 1 600); do
        grep -qE -- "$pattern" "$file" 2>/dev/null && return 0
        kill -0 "$child" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Runs the command in "$@" in the background with its output in $log, waits
# for PATTERN (forwarding has started), lets it forward for $seconds, then
# SIGINT and waits for it to print its final counters and exit.
run_for() {
    local log=$1 pattern=$2; shift 2
    "$@" </dev/null >"$log" 2>&1 &
    child=$!
    if ! wait_for "$log" "$pattern"; then
        echo "bench-pps: did not start; last lines of its output:" >&2
        tail -n 20 "$log" >&2
        kill -INT "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
        child=
        return 1
    fi
    sleep "$seconds"
    kill -INT "$child"
    local i
    for i in $(seq 1 100); do
        kill -0 "$child" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$child" 2>/dev/null; then
        echo "bench-pps: no exit 10 s after SIGINT; killing $child" >&2
        kill -KILL "$child" 2>/dev/null || true
    fi
    wait "$child" 2>/dev/null || true
    child=
}

# testpmd: Mpps from the per-second "Tx-pps" of both ports.
testpmd_mpps() {
    awk '
        /NIC statistics for port/ { port = $6 }
        /Tx-pps:/ {
            if (port in seen) { flush() }
            seen[port] = 1; sum += $2
        }
        function flush() {
            if (sum > 0) { n++; v[n] = sum }
            delete seen; sum = 0
        }
        END {
            flush()
            if (n < 2) { print "NA"; exit }
            t = 0; for (i = 2; i <= n; i++) t += v[i]
            printf "%.3f\n", t / (n - 1) / 1e6
        }' "$1"
}

# jitterguard: tx / elapsed_s from the final lines.
jg_mpps() {
    awk '
        /^final elapsed_s=/ { split($2, a, "="); el = a[2] }
        /^final total / { for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == "tx") tx = a[2] } }
        END { if (el > 0 && tx != "") printf "%.3f\n", tx / el / 1e6; else print "NA" }' "$1"
}

# Runs one arm once; sets $mpps (a number or NA).
run_arm() {
    local arm=$1 run=$2 log="$workdir/$1.$2.log"
    mpps=NA
    case "$arm" in
        testpmd-*)
            local fwd=${arm#testpmd-}
            run_for "$log" "Port statistics" "$TESTPMD" "${eal_common[@]}" \
                --file-prefix=jgbench --vdev "$dev_core" --vdev "$dev_access" -- \
                --nb-cores=1 --forward-mode="$fwd" --total-num-mbufs="$mbufs" \
                --stats-period=1 || return 0
            mpps=$(testpmd_mpps "$log")
            ;;
        jitterguard-*)
            local mode=${arm#jitterguard-} bin=$JG_BIN
            if [ "${mode%-baseline}" != "$mode" ]; then
                mode=${mode%-baseline}
                bin=$baseline_bin
            fi
            local cfg="$workdir/jg.toml"
            printf '[dataplane]\nmempool_size = %d\n\n[log]\nstats_interval_s = 0\n' "$mbufs" >"$cfg"
            # Measure from "forwarding" (the workers run), not from the ports'
            # start: building the flow state takes seconds. Builds from before
            # that line (--baseline-bin) log "metrics at" right after it.
            run_for "$log" "jitterguard::run.*(forwarding|metrics at)" "$bin" run --config "$cfg" \
                --core-port "$dev_core" --access-port "$dev_access" --mode "$mode" -- \
                "${eal_common[@]}" || return 0
            mpps=$(jg_mpps "$log")
            ;;
    esac
}

arms=()
if [ $want_tp = 1 ]; then
    IFS=, read -r -a m <<<"$tp_modes"
    for x in "${m[@]}"; do arms+=("testpmd-$x"); done
fi
if [ $want_jg = 1 ]; then
    IFS=, read -r -a m <<<"$jg_modes"
    for x in "${m[@]}"; do
        [ -z "$baseline_bin" ] || arms+=("jitterguard-$x-baseline")
        arms+=("jitterguard-$x")
    done
fi

report="$workdir/report.txt"
{
    echo "# bench-pps $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "command: $cmdline"
    echo "input: $core_pcap ($core_frames frames) / $access_pcap ($access_frames frames)"
    echo "EAL: ${eal_common[*]}; one worker lcore; runs=$runs seconds=$seconds mbufs=$mbufs"
    echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) CPUs, kernel $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the worker's CPU skews every figure)"
    if [ $want_jg = 1 ]; then
        echo "jitterguard: $JG_BIN ($(stat -c %y "$JG_BIN" | cut -d. -f1))"
        [ -z "$baseline_bin" ] || echo "baseline: $baseline_bin ($(stat -c %y "$baseline_bin" | cut -d. -f1))"
    fi
} | tee "$report"

declare -A results_by_arm
for run in $(seq 1 "$runs"); do
    # Every other round runs the arms in reverse order, so that no arm
    # always follows the same neighbour (a slow drift of the machine, or
    # what the previous process left in the caches, spreads over all arms).
    order=("${arms[@]}")
    if [ $((run % 2)) = 0 ]; then
        order=()
        for ((k = ${#arms[@]} - 1; k >= 0; k--)); do order+=("${arms[$k]}"); done
    fi
    for arm in "${order[@]}"; do
        run_arm "$arm" "$run"
        printf 'run %d %-24s %s Mpps\n' "$run" "$arm" "$mpps" | tee -a "$report"
        results_by_arm[$arm]+="$mpps "
    done
done

median() {
    tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | awk '
        { v[NR] = $1 }
        END { if (NR == 0) { print "NA"; exit }
              if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
              else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

{
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "medians:"
    declare -A med
    for arm in "${arms[@]}"; do
        med[$arm]=$(echo "${results_by_arm[$arm]}" | median)
    done
    for arm in "${arms[@]}"; do
        line=$(printf '  %-24s %8s Mpps' "$arm" "${med[$arm]}")
        for base in testpmd-io testpmd-5tswap; do
            b=${med[$base]:-NA}
            if [ "$arm" != "$base" ] && [ "$b" != NA ] && [ "${med[$arm]}" != NA ]; then
                line+=$(awk -v a="${med[$arm]}" -v b="$b" -v n="$base" 'BEGIN { printf "   %.2fx %s", a / b, n }')
            fi
        done
        echo "$line"
    done
    echo
} | tee -a "$report"

mkdir -p "$(dirname "$results")"
{
    echo
    echo '```text'
    cat "$report"
    echo '```'
} >>"$results"
echo "appended to $results"
