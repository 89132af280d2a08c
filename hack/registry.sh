#!/usr/bin/env bash
# hack/registry.sh - the development OCI registry (hack/devregistry)
# on 127.0.0.1, seeded with a busybox-static image and a Go toolchain image
# built on this machine and referenced by digest.
#
#   hack/registry.sh start    build the program, start it in the background, wait for the seed
#   hack/registry.sh stop     stop it (pid file)
#   hack/registry.sh status   print whether it runs
#   hack/registry.sh env      print the image references (KEY=value)
#
# Variables: PINLINE_CACHE (default $HOME/.cache/pinline),
# PINLINE_REGISTRY_PORT (default 5123). State in $PINLINE_CACHE/registry.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
PORT=${PINLINE_REGISTRY_PORT:-5123}
D=$PINLINE_CACHE/registry
BIN=$PINLINE_CACHE/bin/devregistry
PIDFILE=$D/registry.pid
export PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}

log() { echo "[registry] $*" >&2; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if running && [ -s "$D/images.env" ]; then log "already running (pid $(cat "$PIDFILE"))"; return 0; fi
  stop
  mkdir -p "$D" "$(dirname "$BIN")"
  go build -o "$BIN.tmp" ./hack/devregistry && mv "$BIN.tmp" "$BIN"
  rm -f "$D/images.env" "$D/images.json"
  nohup setsid "$BIN" -addr "127.0.0.1:$PORT" -dir "$D" -out "$D/images.json" -env "$D/images.env" \
    >"$D/registry.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + 600))
  until [ -s "$D/images.env" ]; do
    if ! running; then tail -20 "$D/registry.log" >&2; log "error: exited during start"; exit 1; fi
    if [ $SECONDS -ge $deadline ]; then stop; log "error: not seeded after 600s"; exit 1; fi
    sleep 0.2
  done
  log "serving on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
  cat "$D/images.env" >&2
}

stop() {
  if running; then
    local pid; pid=$(cat "$PIDFILE")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    log "stopped pid $pid"
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running pid=$(cat "$PIDFILE") 127.0.0.1:$PORT"; else echo stopped; exit 1; fi ;;
  env) cat "$D/images.env" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
