#!/usr/bin/env bash
# Runs every test of the project: unit, property, integration over net_pcap
# and net_af_packet (real Linux TCP through the box in network namespaces),
# and the test bed's integrity check. Needs root (namespaces) on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

ci/install-deps.sh
cargo build --workspace --release --bins
cargo nextest run --workspace --no-fail-fast
# Real Linux TCP over the lossy, reordering bed profile: the file must
# arrive intact through the box in passthrough and in shield mode (where the
# box must also have repaired losses itself).
pktgen-scenarios/integrity.sh --box jitterguard --mode passthrough
pktgen-scenarios/integrity.sh --box jitterguard --mode shield --expect-local-recovery
# Monitor mode measures what the emulator does: J's RTT, loss on J, and the
# class (Jitter on impairments, Congested under competition).
pktgen-scenarios/monitor_check.py
