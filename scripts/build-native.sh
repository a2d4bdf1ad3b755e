#!/usr/bin/env bash
# Builds the N-API addons in native-bindings/ against Node's own headers (no download), each on its
# own: one that cannot be built says why and is skipped, the others still build, and replay, serve
# and the rest work without any of them.
#   nfqueue  — host mode (NFQUEUE) and the capability drop; needs libnetfilter-queue-dev.
#   afpacket — inline mode's batched capture (AF_PACKET TPACKET_V3 ring); needs only Linux headers.
#   hugepages — the conntrack table on transparent huge pages (every mode, replay included).
set -euo pipefail
cd "$(dirname "$0")/.."
# Node's own headers: those of the running node's prefix (Debian's /usr), never a download.
nodedir=$(node -p 'require("path").resolve(process.execPath, "../..")')
if [ ! -e "$nodedir/include/node/node_api.h" ]; then
  echo "build-native: no Node headers under $nodedir/include/node" >&2
  exit 1
fi

failed=0
build() {
  local name=$1
  if node node_modules/node-gyp/bin/node-gyp.js rebuild --directory "native-bindings/$name" --nodedir="$nodedir" --loglevel=error >/dev/null; then
    echo "build-native: built native-bindings/$name" >&2
  else
    echo "build-native: FAILED to build native-bindings/$name (compiler output above)" >&2
    failed=1
  fi
}

if [ -e /usr/include/libnetfilter_queue/libnetfilter_queue.h ]; then
  build nfqueue
else
  echo "build-native: libnetfilter-queue-dev is not installed; skipped the NFQUEUE addon (host mode)" >&2
fi

if [ -e /usr/include/linux/if_packet.h ]; then
  build afpacket
else
  echo "build-native: no Linux headers (linux/if_packet.h); skipped the AF_PACKET addon (inline mode falls back to --capture pcap)" >&2
fi

build hugepages

exit "$failed"
