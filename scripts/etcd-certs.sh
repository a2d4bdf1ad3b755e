#!/usr/bin/env bash
# A small PKI for an etcd cluster with TLS and client-certificate auth (issue 19), made with openssl,
# for scripts/etcd-cluster.sh --tls, the fleet tests and the README's walk-through. Production etcd
# gets its certificates from the operator's own CA; this one is for trying and testing it.
#
#   scripts/etcd-certs.sh DIR [--san SAN …] [--expired NAME …] [--other-ca] [CLIENT …]
#
# Makes in DIR (keys mode 0600; a file already there is kept, so a second run only adds):
#   ca.pem, ca.key          the CA (EC P-256, 10 years)
#   m0.pem … m2.pem, .key   one certificate per member, for clients and peers (serverAuth and
#                           clientAuth), valid for 127.0.0.1, localhost and each --san (an address or
#                           a DNS name)
#   root.pem, .key and      a client certificate (clientAuth) with CN=root (etcd's all-powerful
#   CLIENT.pem, .key        user, for etcdctl and scripts/etcd-cluster.sh's health checks) and one
#                           with CN=CLIENT for each CLIENT: with etcd's --client-cert-auth, the etcd
#                           user it is when it logs in with no password
#   jwt.key, jwt.pub        the ES256 key pair etcd signs its auth tokens with (--auth-token jwt,…)
#   NAME-expired.pem, .key  (--expired NAME) a client certificate for NAME valid only on 1 Jan 2020
#   other-ca.pem, .key and other-client.pem, .key
#                           (--other-ca) an unrelated CA and a client certificate it signed
set -euo pipefail

die() { echo "etcd-certs: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: $0 DIR [--san SAN …] [--expired NAME …] [--other-ca] [CLIENT …]"
dir=$1
shift
sans=() expired=() clients=() other=0
while [ $# -gt 0 ]; do
  case $1 in
    --san) [ $# -ge 2 ] || die "--san needs a value"; sans+=("$2"); shift 2 ;;
    --expired) [ $# -ge 2 ] || die "--expired needs a name"; expired+=("$2"); shift 2 ;;
    --other-ca) other=1; shift ;;
    -*) die "unknown option $1" ;;
    *) clients+=("$1"); shift ;;
  esac
done
for name in "${clients[@]}" "${expired[@]}"; do
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "a client name is letters, digits, '.', '_' and '-', got '$name'"
  case $name in ca|m[0-2]|other-ca|other-client|*-expired) die "'$name' is one of the names this script uses itself" ;; esac
done
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
mkdir -p "$dir"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca NAME CN: a self-signed CA
ca() {
  [ -f "$dir/$1.pem" ] && return
  newkey "$dir/$1.key"
  openssl req -x509 -new -key "$dir/$1.key" -out "$dir/$1.pem" -days 3650 -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# sign CA NAME CN EXTENSIONS: a certificate for NAME signed by CA, valid 365 days
sign() {
  local issuer=$1 name=$2 cn=$3 ext=$4
  [ -f "$dir/$name.pem" ] && return
  newkey "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -out "$tmp/$name.csr" -subj "/CN=$cn" 2>/dev/null
  printf '%b' "$ext" >"$tmp/$name.ext"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$dir/$issuer.pem" -CAkey "$dir/$issuer.key" -CAcreateserial \
    -CAserial "$tmp/$issuer.srl" -days 365 -sha256 -extfile "$tmp/$name.ext" -out "$dir/$name.pem" 2>/dev/null
}

CLIENT_EXT='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'

ca ca sgfw-etcd-ca
alt='IP:127.0.0.1,DNS:localhost'
for s in "${sans[@]}"; do
  if [[ $s =~ ^[0-9.]+$ || $s == *:* ]]; then alt="$alt,IP:$s"; else alt="$alt,DNS:$s"; fi
done
for i in 0 1 2; do
  sign ca "m$i" "etcd-m$i" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=$alt\n"
done
for name in root "${clients[@]}"; do sign ca "$name" "$name" "$CLIENT_EXT"; done

if [ ! -f "$dir/jwt.key" ]; then
  newkey "$dir/jwt.key"
  openssl pkey -in "$dir/jwt.key" -pubout -out "$dir/jwt.pub" 2>/dev/null
fi

# An expired certificate needs a start date in the past, which only `openssl ca` sets (3.0).
for name in "${expired[@]}"; do
  [ -f "$dir/$name-expired.pem" ] && continue
  newkey "$dir/$name-expired.key"
  openssl req -new -key "$dir/$name-expired.key" -out "$tmp/e.csr" -subj "/CN=$name" 2>/dev/null
  : >"$tmp/index.txt"
  echo 1000 >"$tmp/serial"
  cat >"$tmp/ca.cnf" <<CNF
[ca]
default_ca = old
[old]
database = $tmp/index.txt
new_certs_dir = $tmp
serial = $tmp/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
  openssl ca -batch -notext -config "$tmp/ca.cnf" -cert "$dir/ca.pem" -keyfile "$dir/ca.key" -in "$tmp/e.csr" \
    -out "$dir/$name-expired.pem" -startdate 20200101000000Z -enddate 20200102000000Z -extensions client 2>/dev/null
done

if [ $other = 1 ]; then
  ca other-ca sgfw-unrelated-ca
  sign other-ca other-client root "$CLIENT_EXT"
fi
chmod 0644 "$dir"/*.pem "$dir/jwt.pub"
