#!/usr/bin/env bash
# hack/engine.sh - build, start, stop and clean up a real Dagger engine
# (v0.19.10) on this host, without Docker and without a registry.
#
#   hack/engine.sh build    build engine + CLI from the Go module proxy (cached)
#   hack/engine.sh start    start the engine (private mount ns, unix socket), wait until it answers
#   hack/engine.sh stop     stop the engine this script started (by its pid file)
#   hack/engine.sh clean    stop, then remove host leftovers: bridge, iptables CNI chains, CNI state
#   hack/engine.sh status   print whether the engine runs
#   hack/engine.sh env      print KEY=value lines for clients (socket, CLI)
#
# Every subcommand is idempotent. Builds are cached under $PINLINE_CACHE/engine
# (default $HOME/.cache/pinline/engine). One host can run several engines side
# by side; each instance is selected by these variables:
#   PINLINE_ENGINE_NAME     instance name (default "default"); state lives in
#                           $PINLINE_CACHE/engine/instances/<name>/
#   PINLINE_ENGINE_STATE    override the instance directory
#   PINLINE_ENGINE_SOCK     unix socket path (default <instance>/run/engine.sock)
#   PINLINE_ENGINE_NETWORK  CNI network name (default "dagger"; the bridge is derived from it)
#   PINLINE_ENGINE_CIDR     CNI network CIDR (default 10.87.0.0/16)
#   PINLINE_ENGINE_WAIT     seconds to wait for readiness (default 60)
#   PINLINE_ENGINE_CONTENT  optional OCI layout dir (hack/gosdk.sh) mounted at the engine's
#                           builtin content dir /usr/local/share/dagger/content: makes Go SDK
#                           modules (`dagger call`) work; needs PINLINE_ENGINE_GO_SDK_DIGEST,
#                           the layout's manifest digest
#   PINLINE_ENGINE_ISOLATE  1: task containers of this engine cannot reach the host (the gateway,
#                           the server, engine listeners, anything bound to 0.0.0.0) through the
#                           bridge, nor 169.254.0.0/16 / fd00:ec2::254 (iptables chains
#                           PLI-<network> and PLF-<network>; `clean` removes them). For engines of
#                           non-local tiers; docs/threat-model.md "Network reach".
#   PINLINE_ENGINE_TLS_ADDR optional extra listener tcp://127.0.0.1:PORT with the
#                           engine's own mTLS (--tlscert/--tlskey/--tlscacert from
#                           PINLINE_ENGINE_TLS_DIR: server.crt, server.key, ca.crt)
set -euo pipefail

VERSION=v0.19.10
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
E=$PINLINE_CACHE/engine
NAME=${PINLINE_ENGINE_NAME:-default}
I=${PINLINE_ENGINE_STATE:-$E/instances/$NAME}
SOCK=${PINLINE_ENGINE_SOCK:-$I/run/engine.sock}
NET=${PINLINE_ENGINE_NETWORK:-dagger}
CIDR=${PINLINE_ENGINE_CIDR:-10.87.0.0/16}
WAIT=${PINLINE_ENGINE_WAIT:-60}
CONTENT=${PINLINE_ENGINE_CONTENT:-}
GOSDK_DIGEST=${PINLINE_ENGINE_GO_SDK_DIGEST:-}
CONTENT_KEY=${CONTENT:+$CONTENT $GOSDK_DIGEST}   # empty for a plain engine
ISOLATE=${PINLINE_ENGINE_ISOLATE:-0}
TLS_ADDR=${PINLINE_ENGINE_TLS_ADDR:-}
TLS_DIR=${PINLINE_ENGINE_TLS_DIR:-}
PIDFILE=$I/engine.pid
BIN=$E/bin
SRC=$E/src-$VERSION

export PATH=/usr/local/go/bin:/usr/sbin:/sbin:$PATH
export GOFLAGS=-buildvcs=false
export GONOSUMDB=github.com/dagger/dagger
export DO_NOT_TRACK=1

log() { echo "[engine:$NAME] $*" >&2; }
die() { log "error: $*"; exit 1; }

APT_PKGS="runc containernetworking-plugins iptables dnsmasq-base git busybox-static ca-certificates pigz xz-utils util-linux"

apt_install() {
  local missing=() p
  for p in $APT_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt: installing ${missing[*]}"
  mkdir -p "$E"
  if [ ! -f "$E/.apt-updated" ]; then
    apt-get update -qq && touch "$E/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

godir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

fetch_src() {
  [ -f "$SRC/.complete" ] && return 0
  log "fetching github.com/dagger/dagger@$VERSION and dagger.io/dagger@$VERSION"
  rm -rf "$SRC" "$SRC.tmp"
  local d=$SRC.tmp m
  m=$(godir "github.com/dagger/dagger@$VERSION"); [ -n "$m" ] || die "go mod download github.com/dagger/dagger@$VERSION failed"
  cp -r "$m" "$d"; chmod -R u+w "$d"
  mkdir -p "$d/sdk"
  m=$(godir "dagger.io/dagger@$VERSION"); [ -n "$m" ] || die "go mod download dagger.io/dagger@$VERSION failed"
  cp -r "$m" "$d/sdk/go"; chmod -R u+w "$d/sdk/go"
  # engine/distconsts is a nested module the proxy does not serve: recreate it.
  mkdir -p "$d/engine/distconsts"
  printf 'module github.com/dagger/dagger/engine/distconsts\n\ngo 1.22\n' >"$d/engine/distconsts/go.mod"
  cat >"$d/engine/distconsts/consts.go" <<'EOF'
package distconsts

const (
	EngineContainerName   = "dagger-engine.dev"
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
)

const (
	RuncPath       = "/usr/local/bin/runc"
	DaggerInitPath = "/usr/local/bin/dagger-init"

	EngineDefaultStateDir = "/var/lib/dagger"

	EngineContainerBuiltinContentDir   = "/usr/local/share/dagger/content"
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
)

const (
	AlpineVersion = "3.22.1"
	AlpineImage   = "alpine:" + AlpineVersion

	GolangVersion = "1.25.3"
	GolangImage   = "golang:" + GolangVersion + "-alpine"

	BusyboxVersion = "1.37.0"
	BusyboxImage   = "busybox:" + BusyboxVersion
)

const (
	OCIVersionAnnotation = "org.opencontainers.image.version"
)

const (
	EngineCustomCACertsDir = "/usr/local/share/ca-certificates"
)
EOF
  touch "$d/.complete"
  mv "$d" "$SRC"
}

build_one() { # pkg out
  [ -x "$2" ] && return 0
  log "go build ./cmd/$1 (this takes minutes when cold)"
  local t0=$SECONDS
  (cd "$SRC" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/dagger/dagger/engine.Version=$VERSION -X github.com/dagger/dagger/engine.Tag=$VERSION" \
    -o "$2.tmp" "./cmd/$1")
  mv "$2.tmp" "$2"
  log "built $1 in $((SECONDS - t0)) s"
}

cmd_build() {
  apt_install
  mkdir -p "$BIN" "$E/sys/usr-local-bin" "$E/sys/cni-bin"
  fetch_src
  build_one dagger "$BIN/dagger"
  build_one engine "$BIN/dagger-engine"
  build_one init "$BIN/dagger-init"
  build_one dnsname "$BIN/dnsname"
  # Layout the engine expects: /usr/local/bin/{dagger-engine,dagger-init,runc}
  # (bind-mounted inside its private mount namespace) and CNI plugins.
  install -m 755 "$BIN/dagger-engine" "$E/sys/usr-local-bin/dagger-engine"
  install -m 755 "$BIN/dagger-init" "$E/sys/usr-local-bin/dagger-init"
  ln -sf /usr/sbin/runc "$E/sys/usr-local-bin/runc"
  local p
  for p in bridge loopback firewall host-local; do install -m 755 "/usr/lib/cni/$p" "$E/sys/cni-bin/$p"; done
  install -m 755 "$BIN/dnsname" "$E/sys/cni-bin/dnsname"
  log "build ok: $BIN/dagger, $BIN/dagger-engine"
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# ready: the engine answers on its socket (a HTTP/2 connection preface gets a SETTINGS frame back).
ready() {
  [ -S "$SOCK" ] || return 1
  grep -qF "running server on $SOCK" "$I/logs/engine.log" 2>/dev/null
}

cmd_start() {
  if [ -n "$CONTENT" ]; then
    [ -f "$CONTENT/index.json" ] || die "PINLINE_ENGINE_CONTENT=$CONTENT is not an OCI layout"
    [[ $GOSDK_DIGEST == sha256:* ]] || die "PINLINE_ENGINE_CONTENT needs PINLINE_ENGINE_GO_SDK_DIGEST=sha256:..."
  fi
  # a running engine started with other content is restarted
  if running && ready && [ "$(cat "$I/content" 2>/dev/null)" = "$CONTENT_KEY" ]; then
    log "already running (pid $(cat "$PIDFILE"))"
    if [ "$ISOLATE" = 1 ]; then isolate; fi
    return 0
  fi
  running && cmd_stop
  [ -x "$E/sys/usr-local-bin/dagger-engine" ] || cmd_build
  apt_install
  mkdir -p "$I/state" "$I/logs" "$I/ov/upper" "$I/ov/work" "$(dirname "$SOCK")"
  rm -f "$SOCK"
  local content_mount=""
  if [ -n "$CONTENT" ]; then
    mkdir -p "$I/ovs/upper" "$I/ovs/work"
    # distconsts.EngineContainerBuiltinContentDir is a compile-time path: overlay it in the engine's namespace
    content_mount="mount -t overlay overlay -o lowerdir=/usr/local/share,upperdir=$I/ovs/upper,workdir=$I/ovs/work /usr/local/share
  mkdir -p /usr/local/share/dagger/content
  mount --bind $CONTENT /usr/local/share/dagger/content
  export DAGGER_GO_SDK_MANIFEST_DIGEST=$GOSDK_DIGEST"
  fi
  local tls_flags=""
  if [ -n "$TLS_ADDR" ]; then
    [ -f "$TLS_DIR/server.crt" ] && [ -f "$TLS_DIR/server.key" ] && [ -f "$TLS_DIR/ca.crt" ] || die "PINLINE_ENGINE_TLS_DIR=$TLS_DIR lacks server.crt, server.key or ca.crt"
    tls_flags="--addr $TLS_ADDR --tlscert $TLS_DIR/server.crt --tlskey $TLS_DIR/server.key --tlscacert $TLS_DIR/ca.crt"
  fi
  cat >"$I/start-engine.sh" <<EOF
#!/bin/bash
# Generated by hack/engine.sh. Runs the engine in a private mount namespace:
# it bind-mounts over /etc/resolv.conf and needs runc and dagger-init in
# /usr/local/bin and a tmpfs /run. The network namespace is the host's.
ulimit -n 1048576 2>/dev/null || ulimit -n \$(ulimit -Hn)
exec unshare --mount --propagation private -- bash -c '
  set -e
  mount --bind $E/sys/usr-local-bin /usr/local/bin
  mount -t tmpfs -o mode=755 tmpfs /run
  mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=$I/ov/upper,workdir=$I/ov/work /usr/bin
  $content_mount
  ln -sf /usr/sbin/xtables-legacy-multi /usr/bin/xtables-legacy-multi
  ln -sf /usr/sbin/xtables-nft-multi /usr/bin/xtables-nft-multi
  export PATH=$I/bin:\$PATH
  exec /usr/local/bin/dagger-engine \\
    --root $I/state \\
    --addr unix://$SOCK $tls_flags \\
    --network-name $NET \\
    --network-cidr $CIDR \\
    --oci-cni-binary-dir $E/sys/cni-bin \\
    --oci-cni-pool-size 16 \\
    --oci-max-parallelism num-cpu
'
EOF
  chmod +x "$I/start-engine.sh"
  # The engine starts dnsmasq (found on PATH) for its network without
  # bind-interfaces, so it holds 0.0.0.0:53 and a second engine's dnsmasq
  # cannot start. Wrap it to bind only its own bridge.
  mkdir -p "$I/bin"
  printf '#!/bin/sh\nexec /usr/sbin/dnsmasq --bind-dynamic "$@"\n' >"$I/bin/dnsmasq"
  chmod +x "$I/bin/dnsmasq"
  : >"$I/logs/engine.log"
  log "starting (socket $SOCK, network $NET $CIDR)"
  nohup setsid "$I/start-engine.sh" >"$I/logs/engine.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  echo "$CONTENT_KEY" >"$I/content"
  local deadline=$((SECONDS + WAIT))
  until ready; do
    if ! running; then tail -30 "$I/logs/engine.log" >&2; die "engine exited during start"; fi
    if [ $SECONDS -ge $deadline ]; then tail -30 "$I/logs/engine.log" >&2; cmd_stop; die "engine not ready after ${WAIT}s"; fi
    sleep 0.1
  done
  log "ready (pid $(cat "$PIDFILE"))"
  if [ "$ISOLATE" = 1 ]; then isolate; else unisolate; fi
}

# The chains that confine this engine's task network (PINLINE_ENGINE_ISOLATE=1).
ichain() { echo "PLI-$NET"; }
fchain() { echo "PLF-$NET"; }
bridge_ip() { # the bridge plugin's gateway: the first address of the CIDR
  local base=${CIDR%/*}
  echo "${base%.*}.$(( ${base##*.} + 1 ))"
}

# isolate installs (idempotently) the rules: from the bridge to the host only
# replies to connections the host opened and DNS to the bridge's dnsmasq; no
# forwarding from the bridge to link-local / cloud-metadata addresses.
isolate() {
  local br ic fc ip
  br=$(bridge_name); ic=$(ichain); fc=$(fchain); ip=$(bridge_ip)
  command -v iptables >/dev/null || die "PINLINE_ENGINE_ISOLATE=1 needs iptables"
  unisolate
  iptables -N "$ic"
  iptables -A "$ic" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  iptables -A "$ic" -d "$ip" -p udp --dport 53 -j RETURN
  iptables -A "$ic" -d "$ip" -p tcp --dport 53 -j RETURN
  iptables -A "$ic" -p tcp -j REJECT --reject-with tcp-reset
  iptables -A "$ic" -j REJECT --reject-with icmp-port-unreachable
  iptables -I INPUT 1 -i "$br" -j "$ic"
  iptables -N "$fc"
  iptables -A "$fc" -d 169.254.0.0/16 -p tcp -j REJECT --reject-with tcp-reset
  iptables -A "$fc" -d 169.254.0.0/16 -j REJECT --reject-with icmp-port-unreachable
  iptables -I FORWARD 1 -i "$br" -j "$fc"
  if command -v ip6tables >/dev/null && ip6tables -S >/dev/null 2>&1; then
    ip6tables -N "$ic" && ip6tables -A "$ic" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN &&
      ip6tables -A "$ic" -j REJECT && ip6tables -I INPUT 1 -i "$br" -j "$ic" || true
    ip6tables -N "$fc" && ip6tables -A "$fc" -d fd00:ec2::254 -j REJECT &&
      ip6tables -A "$fc" -d fe80::/10 -j REJECT && ip6tables -I FORWARD 1 -i "$br" -j "$fc" || true
  fi
  log "isolated: $br -> host rejected but DNS at $ip:53; $br -> 169.254.0.0/16, fd00:ec2::254 rejected ($ic, $fc)"
}

# unisolate removes this instance's chains and the jumps to them (idempotent).
unisolate() {
  local br ic fc t
  br=$(bridge_name); ic=$(ichain); fc=$(fchain)
  for t in iptables ip6tables; do
    command -v "$t" >/dev/null || continue
    "$t" -S >/dev/null 2>&1 || continue
    while "$t" -D INPUT -i "$br" -j "$ic" 2>/dev/null; do :; done
    while "$t" -D FORWARD -i "$br" -j "$fc" 2>/dev/null; do :; done
    "$t" -F "$ic" 2>/dev/null || true; "$t" -X "$ic" 2>/dev/null || true
    "$t" -F "$fc" 2>/dev/null || true; "$t" -X "$fc" 2>/dev/null || true
  done
}

# Containers of an engine that died hard (SIGKILL, crash) keep running under
# their orphaned runc; find them by this instance's state directory.
kill_tree() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
  kill -KILL "$1" 2>/dev/null || true
}
kill_orphans() {
  local p pid
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = $$ ] && continue
    # container processes (runc/shim paths under the state dir) and the
    # network's dnsmasq (its config lives under cni/dnsname/<network>/)
    if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -e "$I/state/" -e "/cni/dnsname/$NET/"; then
      log "killing leftover process $pid (container or dnsmasq of this engine)"
      kill_tree "$pid"
    fi
  done
}

cmd_stop() {
  if ! running; then rm -f "$PIDFILE"; kill_orphans; return 0; fi
  local pid; pid=$(cat "$PIDFILE")
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "pid $pid ignored SIGTERM, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$PIDFILE" "$SOCK"
  kill_orphans
}

bridge_name() { # the engine names its bridge after the network: "dagger" -> dagger0
  echo "${NET}0"
}

cmd_clean() {
  cmd_stop
  unisolate
  local br; br=$(bridge_name)
  if ip link show "$br" >/dev/null 2>&1; then log "removing bridge $br"; ip link del "$br" || true; fi
  # CNI chains of this network: the firewall plugin adds CNI-FORWARD/CNI-ADMIN,
  # the bridge plugin adds per-container CNI-<hash> NAT chains (gone when the engine
  # releases its pool); remove rules pointing at this network's CIDR.
  local t
  for t in filter nat; do
    iptables -t "$t" -S 2>/dev/null | grep -F -- "$CIDR" | sed 's/^-A /-D /' | while read -r rule; do
      eval "iptables -t $t $rule" 2>/dev/null || true
    done || true
  done
  # Shared chains are removed only when no other engine instance still runs.
  if ! other_instances_running; then
    for c in CNI-FORWARD CNI-ADMIN; do
      if iptables -S "$c" >/dev/null 2>&1; then
        # the jump carries a comment match: delete the rule exactly as listed
        iptables -S FORWARD | grep -F -- "-j $c" | sed 's/^-A /-D /' | while read -r rule; do
          eval "iptables $rule" 2>/dev/null || true
        done || true
        iptables -F "$c" 2>/dev/null || true
        iptables -X "$c" 2>/dev/null || true
      fi
    done
    rm -f /etc/dnsmasq-resolv.conf
  fi
  rm -rf "/var/lib/cni/networks/$NET"
  rm -f /var/lib/cni/results/"$NET"-* 2>/dev/null || true
  rm -rf "$I/run"
  log "clean"
}

other_instances_running() {
  local d
  for d in "$E"/instances/*/; do
    [ -f "$d/engine.pid" ] || continue
    [ "${d%/}" = "${I%/}" ] && continue
    kill -0 "$(cat "$d/engine.pid")" 2>/dev/null && return 0
  done
  return 1
}

cmd_status() {
  if running && ready; then echo "running pid=$(cat "$PIDFILE") sock=$SOCK"; else echo "stopped"; return 1; fi
}

cmd_env() {
  echo "PINLINE_ENGINE_SOCK=$SOCK"
  echo "PINLINE_DAGGER_CLI=$BIN/dagger"
  echo "_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://$SOCK"
  echo "_EXPERIMENTAL_DAGGER_CLI_BIN=$BIN/dagger"
  [ "$ISOLATE" = 1 ] && echo "PINLINE_ENGINE_BRIDGE_IP=$(bridge_ip)"
  return 0
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  clean) cmd_clean ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 build|start|stop|clean|status|env" >&2; exit 2 ;;
esac
