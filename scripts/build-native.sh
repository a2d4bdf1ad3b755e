#!/usr/bin/env bash
# Builds the N-API addons in native-bindings/ against Node's own headers (no download). Only the
# live host mode needs them: without libnetfilter-queue's headers this says so and leaves replay,
# serve and the rest working.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -e /usr/include/libnetfilter_queue/libnetfilter_queue.h ]; then
  echo "build-native: libnetfilter-queue-dev is not installed; skipping the NFQUEUE addon (host mode)" >&2
  exit 0
fi
# Node's own headers: those of the running node's prefix (Debian's /usr), never a download.
nodedir=$(node -p 'require("path").resolve(process.execPath, "../..")')
if [ ! -e "$nodedir/include/node/node_api.h" ]; then
  echo "build-native: no Node headers under $nodedir/include/node" >&2
  exit 1
fi
node node_modules/node-gyp/bin/node-gyp.js rebuild --directory native-bindings/nfqueue --nodedir="$nodedir" --loglevel=error >/dev/null
echo "build-native: built native-bindings/nfqueue" >&2
