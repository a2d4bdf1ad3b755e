#!/usr/bin/env bash
# Builds the N-API addons in native-bindings/ against Node's own headers (no download), each on its
# own: one that cannot be built says why and is skipped, the others still build, and replay, serve
# and the rest work without any of them. scripts/build-addons.mjs does it (the installed package's
# install script too); here a failed build exits 1 and shows the compiler's output.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node scripts/build-addons.mjs
