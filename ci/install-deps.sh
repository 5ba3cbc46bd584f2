#!/usr/bin/env bash
# Installs what jitterguard needs on Debian 12 (idempotent; quiet when all is
# there). Needs root. DPDK 22.11 LTS comes from Debian's own packages.
set -euo pipefail

PKGS=(
  dpdk dpdk-dev libdpdk-dev      # DPDK 22.11: libraries, PMDs, dpdk-testpmd, pkg-config file
  libclang-dev clang pkg-config  # bindgen over the DPDK headers
  libpcap-dev                    # net_pcap vdev
  iproute2 ethtool iperf3 curl   # test bed: namespaces, veths, offloads, traffic
  tshark                         # independent dissector check of built/rewritten packets
  prometheus                     # promtool checks /metrics
  python3 python3-matplotlib     # benchmark harness and plots
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo-nextest >/dev/null 2>&1 && ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
