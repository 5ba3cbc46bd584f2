#!/usr/bin/env bash
# jitterguard test bed: four network namespaces in a line
#
#   jg-snd            jg-box                     jg-emu              jg-rcv
#   snd0 ──veth── box0 [bridge | jitterguard] box1 ──veth── emu0 [jg-linkem] emu1 ──veth── rcv0
#   198.18.0.1/24      (core)            (access)                              198.18.0.2/24
#
# A profile with a [core] table (the sender's Internet path in front of a
# UPF) gets a fifth namespace between the sender and the box, with a second,
# delay-only emulator:
#
#   snd0 ──veth── core0 [jg-linkem --side core] core1 ──veth── box0 ...
#          (jg-core)
#
# Usage:
#   testbed.sh up [--box none|jitterguard] [--mode passthrough|monitor|shield]
#                 [--profile FILE] [--cc cubic|bbr|reno] [--seed N]
#   testbed.sh down
#   testbed.sh status
#
# Environment:
#   LINKEM_BIN   jg-linkem binary (default: $CARGO_TARGET_DIR/release/jg-linkem,
#                then <repo>/target/release/jg-linkem)
#   JG_BIN       jitterguard binary (default $CARGO_TARGET_DIR or the repo target dir, release/jitterguard)
#   JG_EAL_ARGS  EAL arguments for jitterguard
#                (default "--no-huge --no-pci -l 0-1 -m 512 --file-prefix jg-testbed")
#   JG_CONFIG    optional jitterguard --config FILE
#   LINKEM_RT_PRIO SCHED_FIFO priority of the emulator (default 20; 0 = normal
#                scheduling). The emulator sleeps between releases, so this
#                costs no CPU, but it wakes on time when iperf3 and compilers
#                keep both cores busy.
#   TESTBED_STATE  state directory for PID files and logs (default /run/jg-testbed)
#
# Everything is created by name and removed by name: only these four
# namespaces, only 198.18.0.0/15 addresses, only processes whose PIDs this
# script recorded. `down` is idempotent.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
STATE="${TESTBED_STATE:-/run/jg-testbed}"
NAMESPACES=(jg-snd jg-core jg-box jg-emu jg-rcv)
SND_IP=198.18.0.1
RCV_IP=198.18.0.2

BOX=none
MODE=passthrough
PROFILE="$HERE/profiles/clean.toml"
CC=cubic
SEED=1

log() { echo "testbed: $*" >&2; }
die() { echo "testbed: error: $*" >&2; exit 1; }

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

parse_options() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --box) BOX="$2"; shift 2 ;;
            --mode) MODE="$2"; shift 2 ;;
            --profile) PROFILE="$2"; shift 2 ;;
            --cc) CC="$2"; shift 2 ;;
            --seed) SEED="$2"; shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) die "unknown option $1" ;;
        esac
    done
    case "$BOX" in none|jitterguard) ;; *) die "--box must be none or jitterguard" ;; esac
    case "$MODE" in passthrough|monitor|shield) ;; *) die "--mode must be passthrough, monitor or shield" ;; esac
    case "$CC" in cubic|bbr|reno) ;; *) die "--cc must be cubic, bbr or reno" ;; esac
    [ -f "$PROFILE" ] || die "no profile file $PROFILE"
    PROFILE="$(cd "$(dirname "$PROFILE")" && pwd)/$(basename "$PROFILE")"
}

find_linkem() {
    local candidate
    for candidate in "${LINKEM_BIN:-}" \
        "${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/release/jg-linkem}" \
        "$REPO/target/release/jg-linkem"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    die "jg-linkem not built: run 'cargo build --release -p jg-linkem' and/or set LINKEM_BIN"
}

in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# Offloads off so frames on every veth are MTU-sized with full checksums
# (what a NIC-facing DPDK port sees), VLAN acceleration off so tags stay in
# the frame for AF_PACKET readers. Not every veth feature exists on every
# kernel, so each is tried on its own.
offloads_off() {
    local ns="$1" ifname="$2" feature
    for feature in tso gso gro lro tx rxvlan txvlan; do
        in_ns "$ns" ethtool -K "$ifname" "$feature" off >/dev/null 2>&1 || true
    done
}

ns_sysctls() {
    local ns="$1"
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

# Outside the initial namespace Linux lets a namespace default to a
# congestion control only if it is in the (host-wide) allowed list; add the
# one asked for if it is missing. This only widens what unprivileged
# sockets may pick; it changes no default.
allow_congestion_control() {
    local allowed
    allowed="$(sysctl -n net.ipv4.tcp_allowed_congestion_control)"
    case " $allowed " in
        *" $CC "*) ;;
        *) log "adding $CC to net.ipv4.tcp_allowed_congestion_control"
           sysctl -qw net.ipv4.tcp_allowed_congestion_control="$allowed $CC" ;;
    esac
}

# Socket buffers so the 200 Mbit/s x 80 ms path (2 MB BDP, plus a 1-BDP
# queue) is never receive-window limited; no cached metrics so each run
# starts from the same state.
host_sysctls() {
    local ns="$1"
    in_ns "$ns" sysctl -qw \
        net.ipv4.tcp_rmem="4096 131072 33554432" \
        net.ipv4.tcp_wmem="4096 65536 33554432" \
        net.ipv4.tcp_no_metrics_save=1 \
        net.ipv4.tcp_congestion_control="$CC" >/dev/null
}

# Kill a process recorded in a PID file, only if it still runs the program
# we started (a recycled PID is left alone).
stop_pidfile() {
    local file="$1" expect="$2" pid i
    [ -f "$file" ] || return 0
    pid="$(cat "$file" 2>/dev/null || true)"
    rm -f "$file"
    [ -n "$pid" ] || return 0
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    if [[ "$cmdline" == *"$expect"* ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || return 0
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

cmd_down() {
    stop_pidfile "$STATE/iperf3.pid" iperf3
    # Matched on the arguments the bed gave it, not the program's name:
    # JG_BIN may name any build (a box left running keeps the EAL prefix
    # locked, and the next bed's box fails to start).
    stop_pidfile "$STATE/jitterguard.pid" "run --core-port net_af_packet0,iface=box0"
    stop_pidfile "$STATE/linkem.pid" jg-linkem
    stop_pidfile "$STATE/linkem-core.pid" jg-linkem
    local ns
    for ns in "${NAMESPACES[@]}"; do
        if ip netns list | grep -qw "^$ns"; then
            ip netns del "$ns"
        fi
    done
    rm -f "$STATE/config"
    log "down"
}

# The path works when a TCP SYN to a closed port on the receiver comes back
# as a RST ("connection refused"); there is no ping on this machine.
wait_for_path() {
    local i answer
    for i in $(seq 1 40); do
        answer="$(in_ns jg-snd timeout 1 bash -c "exec 3<>/dev/tcp/$RCV_IP/9" 2>&1 || true)"
        case "$answer" in *refused*) return 0 ;; esac
        sleep 0.25
    done
    return 1
}

mac_of() { in_ns "$1" cat "/sys/class/net/$2/address"; }

cmd_up() {
    parse_options "$@"
    local linkem
    linkem="$(find_linkem)"
    if [ "$BOX" = jitterguard ]; then
        JG_BIN="${JG_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/jitterguard}"
        [ -x "$JG_BIN" ] || die "jitterguard binary $JG_BIN not found (cargo build --release -p jitterguard, or set JG_BIN)"
    fi
    local core_delay
    core_delay="$("$linkem" --profile "$PROFILE" --check | python3 -c 'import json, sys; print(json.load(sys.stdin)["core_delay_ms"] or "")')" \
        || die "profile $PROFILE does not load"
    cmd_down >/dev/null 2>&1 || true
    mkdir -p "$STATE"

    local ns used=(jg-snd jg-box jg-emu jg-rcv)
    [ -n "$core_delay" ] && used+=(jg-core)
    for ns in "${used[@]}"; do
        ip netns add "$ns"
        in_ns "$ns" ip link set lo up
        ns_sysctls "$ns"
    done

    local links=(jg-box:box0 jg-box:box1 jg-emu:emu0 jg-emu:emu1 jg-rcv:rcv0 jg-snd:snd0)
    if [ -n "$core_delay" ]; then
        ip link add snd0 netns jg-snd type veth peer name core0 netns jg-core
        ip link add core1 netns jg-core type veth peer name box0 netns jg-box
        links+=(jg-core:core0 jg-core:core1)
    else
        ip link add snd0 netns jg-snd type veth peer name box0 netns jg-box
    fi
    ip link add box1 netns jg-box type veth peer name emu0 netns jg-emu
    ip link add emu1 netns jg-emu type veth peer name rcv0 netns jg-rcv

    local pair
    for pair in "${links[@]}"; do
        ns="${pair%%:*}"
        local ifname="${pair##*:}"
        in_ns "$ns" ip link set "$ifname" mtu 1500
        offloads_off "$ns" "$ifname"
        in_ns "$ns" ip link set "$ifname" up
    done
    in_ns jg-box ip link set box0 promisc on
    in_ns jg-box ip link set box1 promisc on
    in_ns jg-emu ip link set emu0 promisc on
    in_ns jg-emu ip link set emu1 promisc on
    if [ -n "$core_delay" ]; then
        in_ns jg-core ip link set core0 promisc on
        in_ns jg-core ip link set core1 promisc on
    fi

    in_ns jg-snd ip addr add "$SND_IP/24" dev snd0
    in_ns jg-rcv ip addr add "$RCV_IP/24" dev rcv0
    # Static neighbours: ARP through a lossy, stalling emulator would add
    # its own hiccups to every measurement.
    in_ns jg-snd ip neigh replace "$RCV_IP" lladdr "$(mac_of jg-rcv rcv0)" dev snd0 nud permanent
    in_ns jg-rcv ip neigh replace "$SND_IP" lladdr "$(mac_of jg-snd snd0)" dev rcv0 nud permanent
    allow_congestion_control
    host_sysctls jg-snd
    host_sysctls jg-rcv

    # Link emulator: a = emu0 (sender side), b = emu1 (receiver side).
    # Started with `ip netns exec` directly (not the in_ns function, which
    # would put a subshell in between) so $! is the emulator's own PID.
    local rt=()
    if [ "${LINKEM_RT_PRIO:-20}" -gt 0 ] && command -v chrt >/dev/null; then
        rt=(chrt -f "${LINKEM_RT_PRIO:-20}")
    fi
    ip netns exec jg-emu "${rt[@]}" "$linkem" --a emu0 --b emu1 --profile "$PROFILE" --seed "$SEED" --json \
        >"$STATE/linkem.log" 2>&1 &
    echo $! >"$STATE/linkem.pid"
    if [ -n "$core_delay" ]; then
        ip netns exec jg-core "${rt[@]}" "$linkem" --a core0 --b core1 --side core --profile "$PROFILE" --json \
            >"$STATE/linkem-core.log" 2>&1 &
        echo $! >"$STATE/linkem-core.pid"
    fi

    if [ "$BOX" = none ]; then
        in_ns jg-box ip link add br0 type bridge forward_delay 0 stp_state 0
        in_ns jg-box ip link set box0 master br0
        in_ns jg-box ip link set box1 master br0
        in_ns jg-box ip link set br0 up
    else
        local eal="${JG_EAL_ARGS:---no-huge --no-pci -l 0-1 -m 512 --file-prefix jg-testbed}"
        local config_args=()
        [ -n "${JG_CONFIG:-}" ] && config_args=(--config "$JG_CONFIG")
        # The port arguments come first: `down` finds the box by them.
        # shellcheck disable=SC2086 # EAL arguments are a word list on purpose
        ip netns exec jg-box "$JG_BIN" run \
            --core-port net_af_packet0,iface=box0 \
            --access-port net_af_packet1,iface=box1 \
            "${config_args[@]}" --mode "$MODE" -- $eal >"$STATE/jitterguard.log" 2>&1 &
        echo $! >"$STATE/jitterguard.pid"
    fi

    in_ns jg-rcv iperf3 -s -D -B "$RCV_IP" -I "$STATE/iperf3.pid" --logfile "$STATE/iperf3.log"

    cat >"$STATE/config" <<EOF
box=$BOX
mode=$MODE
profile=$PROFILE
cc=$CC
seed=$SEED
linkem=$linkem
core_delay_ms=${core_delay}
EOF
    if ! wait_for_path; then
        log "no TCP path through the bed; logs in $STATE"
        tail -n 5 "$STATE"/*.log >&2 || true
        exit 1
    fi
    log "up: box=$BOX$([ "$BOX" = jitterguard ] && echo " mode=$MODE") profile=$(basename "$PROFILE") cc=$CC seed=$SEED"
}

cmd_status() {
    local ns running=0 expected=4
    grep -q '^core_delay_ms=.' "$STATE/config" 2>/dev/null && expected=5
    for ns in "${NAMESPACES[@]}"; do
        if ip netns list | grep -qw "^$ns"; then
            running=$((running + 1))
            echo "namespace $ns:"
            in_ns "$ns" ip -br addr | sed 's/^/  /'
        else
            echo "namespace $ns: absent"
        fi
    done
    [ -f "$STATE/config" ] && sed 's/^/config /' "$STATE/config"
    local name
    for name in linkem linkem-core jitterguard iperf3; do
        if [ -f "$STATE/$name.pid" ]; then
            local pid
            pid="$(cat "$STATE/$name.pid")"
            if kill -0 "$pid" 2>/dev/null; then echo "$name: running (pid $pid)"; else echo "$name: dead (pid $pid)"; fi
        fi
    done
    [ "$running" -eq "$expected" ]
}

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    -h|--help|help) usage ;;
    *) usage; exit 2 ;;
esac
