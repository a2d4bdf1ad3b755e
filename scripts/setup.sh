#!/usr/bin/env bash
# Sets up sgfw on a fresh Debian machine with Node 20: system packages (when run as root),
# then the npm dependencies and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# libpcap-dev: headers for `cap` (live capture); tcpdump: the peer in benchmarks and tests;
# awscli: the client that drives `sgfw serve` (and the tests that check it does);
# libnetfilter-queue-dev, iptables, iproute2, g++, make, python3: the NFQUEUE addon and host mode;
# ansible (with amazon.aws) and python3-boto3: the clients the EC2 API tests drive;
# nmap, iputils-ping, netcat-openbsd, ethtool, iperf3: the tools the live end-to-end tests and
# benchmarks run between namespaces; nftables: the kernel peer in the live benchmark and inline mode's `--capture nfqueue` (its guard table);
# etcd-server, etcd-client: the fleet store (issue 9) and its tests; openssl: the certificates of the
# TLS etcd the fleet tests start (scripts/etcd-certs.sh); systemd: systemd-analyze, which
# checks the units of packaging/systemd (a container image has no systemd).
APT_PACKAGES=(libpcap-dev tcpdump awscli libnetfilter-queue-dev iptables iproute2 g++ make python3 ansible python3-boto3
  nmap iputils-ping netcat-openbsd ethtool iperf3 nftables etcd-server etcd-client openssl systemd prometheus)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, skipping apt packages (${missing[*]}); replay and tests that need no capture still work" >&2
  fi
fi

npm ci --no-fund --no-audit --loglevel=error
bash scripts/build-native.sh
