#!/usr/bin/env bash
# Runs every test of the project: unit, property, integration over net_pcap
# and net_af_packet (real Linux TCP through the box in network namespaces),
# and the test bed's integrity check. Needs root (namespaces) on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

ci/install-deps.sh
cargo build --workspace --release --bins
cargo nextest run --workspace --no-fail-fast
if [[ -x pktgen-scenarios/integrity.sh ]]; then
  pktgen-scenarios/integrity.sh --box jitterguard --mode passthrough
fi
