package pipeline

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
)

// checkSecretsFile refuses, outside tier local, a secrets file the
// repository could have written: one whose real path is inside the root.
func checkSecretsFile(o *Options) error {
	if o.Secrets == nil || o.Tier == "local" {
		return nil
	}
	abs, err := filepath.Abs(o.Secrets.Path)
	if err != nil {
		return fmt.Errorf("%w: secrets file: %w", ErrInvalid, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	rootReal, _ := inventory.ResolveIn(o.Root, ".")
	if rel, err := filepath.Rel(rootReal, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%w: secrets file %s is inside the repository; outside tier local secret sources must come from the operator, not from repository content", ErrInvalid, o.Secrets.Path)
	}
	return nil
}

func (o *Options) defaults() error {
	if o.Spec == nil {
		return fmt.Errorf("%w: no spec", ErrInvalid)
	}
	if o.Root == "" {
		return fmt.Errorf("%w: no repository root", ErrInvalid)
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return err
	}
	o.Root = root
	if o.RunsDir == "" {
		o.RunsDir = filepath.Join(o.Root, ".pinline", "runs")
	}
	if o.Backend == "" {
		o.Backend = BackendDagger
	}
	if o.Backend != BackendDagger && o.Backend != BackendHost {
		return fmt.Errorf("%w: unknown backend %q, valid backends are %q", ErrInvalid, o.Backend, []string{BackendDagger, BackendHost})
	}
	if o.Backend == BackendDagger && o.Engine.Address == "" {
		return fmt.Errorf("%w: no engine address", ErrInvalid)
	}
	if o.Tier == "" {
		o.Tier = "local"
	}
	if o.RunID != "" && !record.ValidRunID(o.RunID) {
		return fmt.Errorf("%w: run id %q is not a valid run id", ErrInvalid, o.RunID)
	}
	if o.CacheScope == "" {
		o.CacheScope = engineconfig.BranchScope(o.Spec.Name)
	}
	if o.CacheMode == "" {
		o.CacheMode = CacheModeRW
	}
	if o.CacheMode != CacheModeRW && o.CacheMode != CacheModeSnapshot {
		return fmt.Errorf("%w: unknown cache mode %q", ErrInvalid, o.CacheMode)
	}
	if o.SnapshotFrom != "" && (o.CacheMode != CacheModeSnapshot || o.SnapshotImage == "") {
		return fmt.Errorf("%w: reading tier %q's caches needs cache mode snapshot and a pinned snapshot image", ErrInvalid, o.SnapshotFrom)
	}
	if o.AllowDelete < 0 {
		return fmt.Errorf("%w: --allow-delete must not be negative", ErrInvalid)
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if err := checkSecretsFile(o); err != nil {
		return err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}
