#!/usr/bin/env bash
# make_test_certs.sh DIR [NAME...]: a throw-away TLS setup for the registry tests, made with the
# openssl command. Writes into DIR:
#   ca.crt, ca.key          a self-signed test CA
#   server.crt, server.key  a server certificate signed by it, for 127.0.0.1, ::1, localhost and
#                           every extra NAME (host names; the tests add the machine's own name)
#   other-ca.crt            an unrelated CA (the "wrong CA" case)
# EC P-256 keys, valid for two days. Exits non-zero (with openssl's message) when anything fails.
set -eu
dir=$1
shift
mkdir -p "$dir"
san="IP:127.0.0.1,IP:::1,DNS:localhost"
for name in "$@"; do san="$san,DNS:$name"; done

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ec "$dir/ca.key"
openssl req -x509 -new -key "$dir/ca.key" -out "$dir/ca.crt" -days 2 -subj "/CN=bob test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

ec "$dir/server.key"
openssl req -new -key "$dir/server.key" -out "$dir/server.csr" -subj "/CN=bob test registry"
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" \
  >"$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -out "$dir/server.crt" -days 2 -extfile "$dir/server.ext" 2>/dev/null

ec "$dir/other-ca.key"
openssl req -x509 -new -key "$dir/other-ca.key" -out "$dir/other-ca.crt" -days 2 \
  -subj "/CN=bob test CA" -addext "basicConstraints=critical,CA:TRUE"
rm -f "$dir/server.csr" "$dir/server.ext" "$dir/ca.srl"
