#!/usr/bin/env bash
# Starts the engines of issue 14's tests: a fleet of three engines of one
# tier (f14-1..3) for session affinity, and f14-tls, an engine with its own
# mTLS listener on 127.0.0.1 (--tlscert/--tlskey/--tlscacert) for the
# engine-native path. Each has its own CNI network name and CIDR. Uses
# hack/engine.sh (build cached under $PINLINE_CACHE/engine); the TLS
# material (a dev CA, the engine's server certificate, one client
# certificate) is made once with openssl and cached beside the instance.
# Idempotent; hack/teardown.d/55-fleet-engines.sh stops and cleans them.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE
# An instance's socket and state follow from its name, never from a
# caller's environment (PINLINE_ENGINE_SOCK of the default engine).
unset PINLINE_ENGINE_SOCK PINLINE_ENGINE_STATE PINLINE_ENGINE_TLS_ADDR PINLINE_ENGINE_TLS_DIR

bash hack/engine.sh build
start() { # instance network cidr
  PINLINE_ENGINE_NAME=$1 PINLINE_ENGINE_NETWORK=$2 PINLINE_ENGINE_CIDR=$3 bash hack/engine.sh start
}
start f14-1 pf14a 10.110.0.0/16
start f14-2 pf14b 10.111.0.0/16
start f14-3 pf14c 10.112.0.0/16

tls=$PINLINE_CACHE/engine/instances/f14-tls/tls
if [ ! -f "$tls/.complete" ]; then
  rm -rf "$tls" && mkdir -p "$tls" && chmod 700 "$tls"
  key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tls/$1.key" 2>/dev/null; }
  key ca
  openssl req -x509 -new -key "$tls/ca.key" -out "$tls/ca.crt" -days 3650 -subj "/CN=pinline f14 engine CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  sign() { # name subject extensions
    key "$1"
    openssl req -new -key "$tls/$1.key" -out "$tls/$1.csr" -subj "$2"
    printf '%s\n' "$3" >"$tls/$1.ext"
    openssl x509 -req -in "$tls/$1.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
      -out "$tls/$1.crt" -days 3650 -extfile "$tls/$1.ext" 2>/dev/null
    rm -f "$tls/$1.csr" "$tls/$1.ext"
  }
  sign server "/CN=f14-tls engine" "$(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth')"
  sign client "/CN=ci-native/OU=contributors" "$(printf 'subjectAltName=URI:spiffe://example.org/ci/native\nextendedKeyUsage=clientAuth')"
  chmod 600 "$tls"/*.key
  touch "$tls/.complete"
fi
# A free loopback port for the TLS listener, picked anew unless the engine
# already runs with one.
if ! PINLINE_ENGINE_NAME=f14-tls PINLINE_ENGINE_NETWORK=pf14t bash hack/engine.sh status >/dev/null 2>&1 || [ ! -f "$tls/port" ]; then
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$tls/port"
fi
port=$(cat "$tls/port")
PINLINE_ENGINE_TLS_ADDR=tcp://127.0.0.1:$port PINLINE_ENGINE_TLS_DIR=$tls start f14-tls pf14t 10.113.0.0/16

if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  i=$PINLINE_CACHE/engine/instances
  {
    echo "PINLINE_FLEET_SOCKS=$i/f14-1/run/engine.sock:$i/f14-2/run/engine.sock:$i/f14-3/run/engine.sock"
    echo "PINLINE_FLEET_INSTANCES=f14-1,pf14a,10.110.0.0/16:f14-2,pf14b,10.111.0.0/16:f14-3,pf14c,10.112.0.0/16"
    echo "PINLINE_NATIVE_TLS_ADDR=127.0.0.1:$port"
    echo "PINLINE_NATIVE_TLS_DIR=$tls"
  } >> "$PINLINE_TEST_ENV"
fi
