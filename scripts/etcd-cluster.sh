#!/usr/bin/env bash
# A local 3-member etcd cluster on 127.0.0.1 for the fleet store's tests and demos (issue 9), run
# with Debian's etcd-server (3.4). Everything lives in DIR: one data dir, log and pid file per member,
# and the base port, so `start` after `stop` brings the same cluster back.
#
#   scripts/etcd-cluster.sh start DIR [BASE_PORT] [--tls CERTS]
#                                                   start (or restart) every member not running
#   scripts/etcd-cluster.sh start DIR --member N    start member N (0..2) only
#   scripts/etcd-cluster.sh stop DIR [--member N]   stop every member (or member N) and wait for it
#   scripts/etcd-cluster.sh status DIR              one line per member; exit 1 unless all are healthy
#   scripts/etcd-cluster.sh endpoints DIR           the client URLs, comma-separated
#
# --tls CERTS (kept in DIR, like the base port): https for clients and peers with the certificates of
# scripts/etcd-certs.sh CERTS (mN.pem and mN.key each member's, ca.pem the CA), and client
# certificates required of both (--client-cert-auth, --peer-client-cert-auth); the script's own
# health checks use CERTS/root.pem. Auth tokens are JWTs signed with CERTS/jwt.key (ES256; valid for
# SGFW_ETCD_TOKEN_TTL, default 5m), not etcd's default simple tokens. Auth itself (users, roles, auth
# enable) is the caller's: etcdctl user/role/auth.
#
# Ports: client BASE..BASE+2, peer BASE+3..BASE+5 (default BASE 23790). Not 2379/2380: the Debian
# package may run its own etcd there. --max-txn-ops and --max-request-bytes are raised above the
# defaults (128 ops, 1.5 MiB) because seeding the store with `--state` writes a whole state document
# as one transaction.
set -euo pipefail

ETCD=${ETCD:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-/usr/bin/etcdctl}
MEMBERS=3
WAIT_SECONDS=${ETCD_CLUSTER_WAIT:-30}

die() { echo "etcd-cluster: $*" >&2; exit 2; }
usage() { die "usage: $0 start DIR [BASE_PORT] [--tls CERTS] [--member N] | stop DIR [--member N] | status DIR | endpoints DIR"; }

[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2
member=''
base=''
tls=''
while [ $# -gt 0 ]; do
  case $1 in
    --member) [ $# -ge 2 ] || usage; member=$2; shift 2 ;;
    --tls) [ $# -ge 2 ] || usage; tls=$(realpath "$2"); shift 2 ;;
    *) [ -z "$base" ] || usage; base=$1; shift ;;
  esac
done
if [ -n "$member" ] && ! [[ $member =~ ^[0-2]$ ]]; then die "--member expects 0, 1 or 2, got '$member'"; fi

base_port() {
  if [ -f "$dir/base-port" ]; then
    local kept
    kept=$(cat "$dir/base-port")
    [ -z "$base" ] || [ "$base" = "$kept" ] || die "$dir was created with base port $kept, not $base"
    echo "$kept"
  else
    echo "${base:-23790}"
  fi
}

# The CERTS of --tls this cluster was created with (empty: plain http); --tls again must name the same.
tls_dir() {
  if [ -f "$dir/tls-dir" ]; then
    local kept
    kept=$(cat "$dir/tls-dir")
    [ -z "$tls" ] || [ "$tls" = "$kept" ] || die "$dir was created with --tls $kept, not $tls"
    echo "$kept"
  elif [ -f "$dir/base-port" ]; then
    [ -z "$tls" ] || die "$dir was created without --tls"
  else
    echo "$tls"
  fi
}

scheme() { if [ -n "$TLS" ]; then echo https; else echo http; fi; }
client_url() { echo "$(scheme)://127.0.0.1:$((BASE + $1))"; }
peer_url() { echo "$(scheme)://127.0.0.1:$((BASE + 3 + $1))"; }
pid_of() { [ -f "$dir/m$1.pid" ] && cat "$dir/m$1.pid" || true; }
running() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
selected() { if [ -n "$member" ]; then echo "$member"; else seq 0 $((MEMBERS - 1)); fi; }

endpoints() {
  local i out=''
  for i in $(seq 0 $((MEMBERS - 1))); do out="$out${out:+,}$(client_url "$i")"; done
  echo "$out"
}

tls_client_flags() { [ -z "$TLS" ] || echo "--cacert=$TLS/ca.pem --cert=$TLS/root.pem --key=$TLS/root.key"; }
# shellcheck disable=SC2046 # the TLS flags are words without spaces
healthy() { ETCDCTL_API=3 "$ETCDCTL" --endpoints="$(client_url "$1")" $(tls_client_flags) --command-timeout=2s endpoint health >/dev/null 2>&1; }

tls_member_flags() {
  [ -n "$TLS" ] || return 0
  echo "--cert-file=$TLS/m$1.pem --key-file=$TLS/m$1.key --client-cert-auth --trusted-ca-file=$TLS/ca.pem"
  echo "--peer-cert-file=$TLS/m$1.pem --peer-key-file=$TLS/m$1.key --peer-client-cert-auth --peer-trusted-ca-file=$TLS/ca.pem"
  echo "--auth-token=jwt,pub-key=$TLS/jwt.pub,priv-key=$TLS/jwt.key,sign-method=ES256,ttl=${SGFW_ETCD_TOKEN_TTL:-5m}"
}

start_member() {
  local i=$1 cluster='' j
  for j in $(seq 0 $((MEMBERS - 1))); do cluster="$cluster${cluster:+,}m$j=$(peer_url "$j")"; done
  # The initial-cluster flags only matter on first start; a restart reads the member's data dir.
  # shellcheck disable=SC2046 # the TLS flags are words without spaces
  setsid "$ETCD" \
    --name "m$i" --data-dir "$dir/m$i.data" \
    --listen-client-urls "$(client_url "$i")" --advertise-client-urls "$(client_url "$i")" \
    --listen-peer-urls "$(peer_url "$i")" --initial-advertise-peer-urls "$(peer_url "$i")" \
    --initial-cluster "$cluster" --initial-cluster-token "sgfw-test-$BASE" --initial-cluster-state new \
    --max-txn-ops 10000 --max-request-bytes 16777216 $(tls_member_flags "$i") \
    >>"$dir/m$i.log" 2>&1 </dev/null &
  echo $! >"$dir/m$i.pid"
}

case $cmd in
  start)
    [ -x "$ETCD" ] || die "$ETCD not found (apt-get install etcd-server)"
    mkdir -p "$dir"
    BASE=$(base_port)
    [[ $BASE =~ ^[0-9]+$ ]] && [ "$BASE" -ge 1024 ] && [ "$BASE" -le 65530 ] || die "BASE_PORT must be 1024..65530, got '$BASE'"
    TLS=$(tls_dir)
    if [ -n "$TLS" ]; then
      for f in ca.pem root.pem root.key m0.pem m0.key jwt.key jwt.pub; do [ -f "$TLS/$f" ] || die "--tls $TLS: no $f (make them with scripts/etcd-certs.sh $TLS)"; done
      echo "$TLS" >"$dir/tls-dir"
    fi
    echo "$BASE" >"$dir/base-port"
    for i in $(selected); do running "$i" || start_member "$i"; done
    deadline=$((SECONDS + WAIT_SECONDS))
    for i in $(selected); do
      until healthy "$i"; do
        running "$i" || die "member m$i exited; see $dir/m$i.log"
        [ $SECONDS -lt $deadline ] || die "member m$i not healthy after ${WAIT_SECONDS}s; see $dir/m$i.log"
        sleep 0.2
      done
    done
    endpoints
    ;;
  stop)
    [ -f "$dir/base-port" ] || exit 0
    for i in $(selected); do
      p=$(pid_of "$i")
      [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    deadline=$((SECONDS + WAIT_SECONDS))
    for i in $(selected); do
      while running "$i"; do
        if [ $SECONDS -ge $deadline ]; then kill -9 "$(pid_of "$i")" 2>/dev/null || true; fi
        sleep 0.1
      done
      rm -f "$dir/m$i.pid"
    done
    ;;
  status)
    [ -f "$dir/base-port" ] || die "no cluster in $dir"
    BASE=$(base_port)
    TLS=$(tls_dir)
    ok=0
    for i in $(seq 0 $((MEMBERS - 1))); do
      if running "$i" && healthy "$i"; then echo "m$i $(client_url "$i") healthy pid $(pid_of "$i")"
      elif running "$i"; then echo "m$i $(client_url "$i") unhealthy pid $(pid_of "$i")"; ok=1
      else echo "m$i $(client_url "$i") stopped"; ok=1
      fi
    done
    exit $ok
    ;;
  endpoints)
    [ -f "$dir/base-port" ] || die "no cluster in $dir"
    BASE=$(base_port)
    TLS=$(tls_dir)
    endpoints
    ;;
  *) usage ;;
esac
