#!/usr/bin/env bash
# hack/gosdk.sh - the Go SDK content image a module-capable engine needs
# (issue 18). The v0.19.10 engine's Go SDK loads its base container from an
# OCI layout at /usr/local/share/dagger/content by the digest in
# DAGGER_GO_SDK_MANIFEST_DIGEST; the official engine image ships it, ours is
# built here, offline inside the containers:
#   layer 1: busybox-static, the host Go toolchain (/usr/local/go), codegen
#            built from the engine source, the CA bundle, a `git` stand-in
#            (the engine runs `git config --global K V` in the container);
#   layer 2: /go/pkg/mod and /root/.cache/go-build filled by `go mod tidy`,
#            `go mod download` and `go build ./...` over dagger.io/dagger@v0.19.10
#            in a chroot of layer 1 (so the paths match the container's).
#
#   hack/gosdk.sh build     build (cached) and print the layout dir
#   hack/gosdk.sh env       print PINLINE_GOSDK_CONTENT=DIR and PINLINE_GOSDK_DIGEST=sha256:...
#
# Cached under $PINLINE_CACHE/gosdk/<key>, the key covering this script, the
# Go version, busybox and the engine source; needs hack/engine.sh build first.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v0.19.10
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
E=$PINLINE_CACHE/engine
SRC=$E/src-$VERSION
export PATH=/usr/local/go/bin:/usr/sbin:/sbin:$PATH GOFLAGS=-buildvcs=false GONOSUMDB=github.com/dagger/dagger

log() { echo "[gosdk] $*" >&2; }
die() { log "error: $*"; exit 1; }
godir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

key() {
  { sha256sum "$0" cmd/internal/ocilayout/main.go; go version; sha256sum /bin/busybox; echo "$VERSION"; } |
    sha256sum | cut -c1-16
}
K=$(key)
D=$PINLINE_CACHE/gosdk/$K
reproducible_tar() { (cd "$1" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=2024-01-01 -cf "$2" .); }

cmd_build() {
  if [ -f "$D/content/index.json" ] && [ -s "$D/digest" ]; then log "cached: $D"; echo "$D/content"; return 0; fi
  [ -f "$SRC/.complete" ] || die "engine source missing: run hack/engine.sh build first"
  local t0=$SECONDS W=$D.tmp
  rm -rf "$W"; mkdir -p "$W"
  local R=$W/rootfs S=$W/seed
  log "go build ./cmd/codegen"
  (cd "$SRC" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/dagger/dagger/engine.Version=$VERSION -X github.com/dagger/dagger/engine.Tag=$VERSION" \
    -o "$W/codegen" ./cmd/codegen)
  go build -o "$W/ocilayout" ./cmd/internal/ocilayout

  log "layer 1: busybox, Go toolchain, codegen, CA bundle"
  mkdir -p "$R"/{bin,etc/ssl/certs,tmp,root/.cache/go-build,go/pkg/mod,go/bin,usr/local/bin,usr/bin}
  chmod 1777 "$R/tmp"
  cp /bin/busybox "$R/bin/busybox"
  local a
  for a in $("$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/"
  tar -C /usr/local -cf - --exclude=go/test --exclude=testdata --exclude=go/doc --exclude=go/misc go | tar -C "$R/usr/local" -xf -
  install -m 755 "$W/codegen" "$R/usr/local/bin/codegen"
  printf '#!/bin/sh\n[ "$1" = config ] && exit 0\necho "git is not available in this image" >&2\nexit 1\n' >"$R/usr/bin/git"
  chmod 755 "$R/usr/bin/git"
  reproducible_tar "$R" "$W/layer1.tar"

  log "layer 2: module and build cache of dagger.io/dagger@$VERSION (Go module proxy, host side)"
  local sdk; sdk=$(godir "dagger.io/dagger@$VERSION"); [ -n "$sdk" ] || die "go mod download dagger.io/dagger@$VERSION failed"
  mkdir -p "$S"/{up,work,merged}
  SDK_SRC=$sdk R=$R S=$S GP=$(go env GOPROXY) unshare --mount --propagation private bash -ec '
    M=$S/merged
    mount -t overlay overlay -o lowerdir=$R,upperdir=$S/up,workdir=$S/work $M
    mkdir -p $M/dev $M/proc $M/seed
    mount --rbind /dev $M/dev; mount -t proc proc $M/proc
    cp /etc/resolv.conf $M/etc/resolv.conf
    cp -r $SDK_SRC/. $M/seed/; chmod -R u+w $M/seed
    chroot $M /bin/env -i HOME=/root PATH=/usr/local/go/bin:/usr/bin:/bin GOPATH=/go GOTOOLCHAIN=local \
      GOPROXY=$GP CGO_ENABLED=0 GOFLAGS=-modcacherw /bin/sh -ec "cd /seed; go mod tidy; go mod download; go list -m all >/dev/null;
        go build ./...; go list -e -export -compiled -deps -test=false . >/dev/null"
    umount -l $M/proc; umount -l $M/dev; umount $M'
  (cd "$S/up" && rm -rf seed etc tmp dev proc root/.config)
  reproducible_tar "$S/up" "$W/layer2.tar"

  log "OCI layout"
  local dg
  dg=$("$W/ocilayout" -out "$W/content" -workdir / \
    -env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    -env GOPATH=/go -env GOTOOLCHAIN=local -env CGO_ENABLED=0 -env GOFLAGS=-buildvcs=false -env GOPROXY=off \
    "$W/layer1.tar" "$W/layer2.tar")
  echo "$dg" >"$W/digest"
  rm -rf "$R" "$S" "$W/layer1.tar" "$W/layer2.tar" "$W/codegen" "$W/ocilayout"
  rm -rf "$D"; mv "$W" "$D"
  log "built in $((SECONDS - t0)) s: $(du -sh "$D/content" | cut -f1), manifest $dg"
  echo "$D/content"
}

cmd_env() {
  [ -s "$D/digest" ] || die "not built: run hack/gosdk.sh build"
  echo "PINLINE_GOSDK_CONTENT=$D/content"
  echo "PINLINE_GOSDK_DIGEST=$(cat "$D/digest")"
}

case "${1:-}" in
  build) cmd_build ;;
  env) cmd_env ;;
  *) echo "usage: $0 build|env" >&2; exit 2 ;;
esac
