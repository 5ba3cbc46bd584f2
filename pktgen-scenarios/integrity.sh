#!/usr/bin/env bash
# Integrity test: a random file crosses the bed (sender -> box -> lossy,
# reordering emulator -> receiver) over real Linux TCP, and its sha256 must
# be the same at both ends. A correctness test, not a speed test: nothing
# here asserts timing. Exits non-zero on a mismatch or any failure, and
# always tears the bed down.
#
# Usage:
#   integrity.sh [--box none|jitterguard] [--mode passthrough|monitor|shield]
#                [--profile FILE] [--size-mb 50] [--cc bbr|cubic|reno]
#                [--expect-local-recovery]
#
# Defaults: --box none, profile profiles/integrity.toml (1 % loss and 0-5 ms
# reordering on the data direction, 0.5 % loss on ACKs), 50 MB, BBR (so the
# transfer stays well under the 3-minute CI budget despite the loss; CUBIC
# works too, only slower). CI runs it with --box jitterguard in passthrough
# and in shield mode; with --expect-local-recovery (shield mode) it also
# fails unless the box retransmitted at least one segment from its cache.
#
# The file is served by `python3 -m http.server` bound to 198.18.0.1 in
# jg-snd and fetched with curl in jg-rcv, so the data travels in the data
# direction of the emulator (a -> b). Environment as for testbed.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BOX=none
MODE=passthrough
PROFILE="$HERE/profiles/integrity.toml"
SIZE_MB=50
CC=bbr
PORT=8080
SERVER_IP=198.18.0.1
EXPECT_LOCAL=0

while [ $# -gt 0 ]; do
    case "$1" in
        --box) BOX="$2"; shift 2 ;;
        --mode) MODE="$2"; shift 2 ;;
        --profile) PROFILE="$2"; shift 2 ;;
        --size-mb) SIZE_MB="$2"; shift 2 ;;
        --cc) CC="$2"; shift 2 ;;
        --expect-local-recovery) EXPECT_LOCAL=1; shift ;;
        -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "integrity: unknown option $1" >&2; exit 2 ;;
    esac
done

WORK="$(mktemp -d /tmp/jg-integrity.XXXXXX)"
SERVER_PID=""
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    "$HERE/testbed.sh" down >/dev/null 2>&1 || true
    rm -rf "$WORK"
    if [ "$status" -eq 0 ]; then echo "integrity: PASS"; else echo "integrity: FAIL" >&2; fi
    exit "$status"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/served" "$WORK/received"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$WORK/served/payload.bin"
SENT_SHA="$(sha256sum "$WORK/served/payload.bin" | cut -d' ' -f1)"

"$HERE/testbed.sh" up --box "$BOX" --mode "$MODE" --profile "$PROFILE" --cc "$CC"

# Started directly (not in a subshell) so $! is the server's own PID.
ip netns exec jg-snd python3 -m http.server "$PORT" --bind "$SERVER_IP" \
    --directory "$WORK/served" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 40); do
    if ip netns exec jg-rcv curl -s -o /dev/null --max-time 2 "http://$SERVER_IP:$PORT/"; then
        ready=1
        break
    fi
    sleep 0.25
done
[ "$ready" -eq 1 ] || { echo "integrity: HTTP server in jg-snd not reachable" >&2; exit 1; }

start=$(date +%s.%N)
ip netns exec jg-rcv curl --fail --silent --show-error --max-time 160 \
    -o "$WORK/received/payload.bin" "http://$SERVER_IP:$PORT/payload.bin"
end=$(date +%s.%N)
RECEIVED_SHA="$(sha256sum "$WORK/received/payload.bin" | cut -d' ' -f1)"

echo "integrity: box=$BOX mode=$MODE profile=$(basename "$PROFILE") cc=$CC size=${SIZE_MB} MB" \
     "time=$(awk "BEGIN { printf \"%.1f\", $end - $start }") s"
echo "integrity: sent     sha256 $SENT_SHA"
echo "integrity: received sha256 $RECEIVED_SHA"
[ "$SENT_SHA" = "$RECEIVED_SHA" ]

if [ "$EXPECT_LOCAL" = 1 ]; then
    JG_BIN="${JG_BIN:-${CARGO_TARGET_DIR:-$(cd "$HERE/.." && pwd)/target}/release/jitterguard}"
    local_retx="$(ip netns exec jg-box "$JG_BIN" stats --json |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["shield"].get("local_retransmits", 0))')"
    echo "integrity: local retransmissions by the box: $local_retx"
    [ "$local_retx" -gt 0 ]
fi
