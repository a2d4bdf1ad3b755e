#!/usr/bin/env bash
# The main job on bundled data: replays each bundled capture against its state (and timeline),
# printing the verdict of every frame and a summary. No root needed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for dir in pcaps/albert pcaps/mary pcaps/conntrack; do
  name=$(basename "$dir")
  echo "== $name"
  timeline=()
  [ -f "$dir/timeline.jsonl" ] && timeline=(--timeline "$dir/timeline.jsonl")
  node bin/sgfw.js replay --state "$dir/state.json" "${timeline[@]}" \
    --verdicts "$out/$name.jsonl" --flow-log "$out/$name.flowlog" "$dir/$name.pcap"
  echo "-- verdicts"
  cat "$out/$name.jsonl"
  echo "-- flow log"
  cat "$out/$name.flowlog"
  echo
done
