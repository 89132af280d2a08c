// Command devregistry is the development and CI OCI registry: an in-process
// go-containerregistry registry on a loopback address, seeded at start with
// images built on this machine from files already on it:
//
//   - busybox: /bin/busybox (busybox-static) with its applet symlinks and
//     /etc/passwd, /etc/group;
//   - go: the busybox root file system plus the host's Go installation
//     under /usr/local/go.
//
// Layers are reproducible (sorted entries, uid/gid 0, fixed mtime), so the
// digests only change when busybox or Go change. They are cached under
// -dir and blobs persist there; manifests are pushed again on every start.
// The image references, pinned by digest, are written to -out (JSON) and
// -env (KEY=value lines) and printed. It serves until SIGINT/SIGTERM.
//
// This program is part of the test and demo tooling, not of pinline.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/pinline/pinline/hack/internal/devimage"
	"github.com/pinline/pinline/internal/atomicfile"
)

// Seeded describes what the registry serves.
type Seeded struct {
	Registry string           `json:"registry"`
	Images   map[string]Image `json:"images"`
}

// Image is one seeded image.
type Image struct {
	Ref    string `json:"ref"` // registry/repo:tag@sha256:...
	Tag    string `json:"tag"`
	Digest string `json:"digest"`
}

func main() {
	if err := realMain(); err != nil {
		fmt.Fprintf(os.Stderr, "devregistry: %v\n", err)
		os.Exit(1)
	}
}

func realMain() error {
	addr := devimage.RegistryFlag(flag.CommandLine, "addr", "listen address")
	dir := flag.String("dir", "", "state directory for cached layers and blobs (required)")
	out := flag.String("out", "", "write the seeded image references as JSON to this file")
	envOut := flag.String("env", "", "write the seeded image references as KEY=value lines to this file")
	busybox := flag.String("busybox", "/bin/busybox", "busybox-static binary")
	goroot := flag.String("goroot", "/usr/local/go", "Go installation for the go image")
	flag.Parse()
	if *dir == "" {
		return fmt.Errorf("-dir is required")
	}
	if err := devimage.Loopback(*addr); err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	for _, d := range []string{"blobs", "layers"} {
		if err := os.MkdirAll(filepath.Join(*dir, d), 0o755); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           registry.New(registry.WithBlobHandler(registry.NewDiskBlobHandler(filepath.Join(*dir, "blobs"))), registry.Logger(log.New(os.Stderr, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	reg := ln.Addr().String()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	seeded, err := seed(ctx, reg, *dir, *busybox, *goroot)
	if err != nil {
		_ = srv.Close()
		return err
	}
	if err := writeOutputs(seeded, *out, *envOut); err != nil {
		_ = srv.Close()
		return err
	}
	for name, img := range seeded.Images {
		fmt.Printf("%s %s\n", name, img.Ref)
	}
	fmt.Printf("serving on %s\n", reg)

	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func writeOutputs(s *Seeded, jsonPath, envPath string) error {
	if jsonPath != "" {
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if envPath != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "PINLINE_REGISTRY=%s\n", s.Registry)
		for _, name := range []string{"busybox", "go"} {
			img := s.Images[name]
			key := "PINLINE_IMAGE_" + strings.ToUpper(name)
			fmt.Fprintf(&b, "%s=%s\n%s_DIGEST=%s\n", key, img.Ref, key, img.Digest)
		}
		if err := atomicfile.Write(envPath, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
