#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and replays
# the bundled pcap scenario (a recorded lossy, reordered TCP flow) through the
# real dataplane with configs/pcap-demo.toml, then says what came out.
set -euo pipefail
cd "$(dirname "$0")/.."

ci/install-deps.sh
cargo build --release -p jitterguard
mkdir -p out
rm -f out/demo.to-core.pcap out/demo.to-access.pcap
target/release/jitterguard run --config configs/pcap-demo.toml "$@"
echo
echo "frames the box sent towards the receiver: out/demo.to-access.pcap"
echo "frames the box sent towards the sender:   out/demo.to-core.pcap"
echo "inspect them with: target/release/jitterguard parse out/demo.to-core.pcap"
