package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pinline/pinline/inventory"
)

// CheckOptions configure Check.
type CheckOptions struct {
	// Root is the repository root: positions are relative to it and mounts
	// must stay inside it (default ".").
	Root string
	// Paths are the files or directories to inspect (default: Root).
	Paths []string
	// Tier is the trust tier (default "local").
	Tier string
	// Run describes the run being requested (pinline run); nil for check.
	Run *RunInfo
	// UserDirs are --policy directories.
	UserDirs []string
	// ConfigFile is the policy data file; "" means Root/.pinline/policy.yaml
	// when it exists.
	ConfigFile string
	// Now decides waiver expiry (zero: time.Now()).
	Now time.Time
	// Env selects a workspace environment overlay (dagger.toml, --env).
	Env string
	// UserConfig is the user-level Dagger config (nil: none); its
	// workspace overrides are PL025.
	UserConfig *inventory.UserConfigFile
}

// CheckResult is a decision together with what produced it.
type CheckResult struct {
	Decision  *Decision
	Rules     []Rule
	Inventory *inventory.Inventory
	Input     *Input
}

// Check collects the inventory of a repository, loads the policies and
// evaluates them: the pre-run gate behind pinline check. Malformed files are
// *inventory.ParseError, *spec.Error or *ParseError; broken policies
// *CompileError; evaluation failures *EvalError or ErrUndefined.
func Check(ctx context.Context, opts CheckOptions) (*CheckResult, error) {
	if opts.Root == "" {
		opts.Root = "."
	}
	if opts.Tier == "" {
		opts.Tier = "local"
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	cfg, err := readConfig(opts)
	if err != nil {
		return nil, err
	}
	// Compile the policies while the repository is walked.
	type loaded struct {
		e   *Engine
		err error
	}
	ch := make(chan loaded, 1)
	go func() {
		e, err := Load(ctx, Options{UserDirs: opts.UserDirs})
		ch <- loaded{e, err}
	}()
	inv, invErr := inventory.Collect(ctx, inventory.Options{Root: opts.Root, Paths: opts.Paths, Env: opts.Env, UserConfig: opts.UserConfig})
	l := <-ch
	if l.err != nil {
		return nil, l.err
	}
	if invErr != nil {
		return nil, invErr
	}
	in := BuildInput(inv, InputOptions{Tier: opts.Tier, Run: opts.Run, Config: cfg})
	d, err := l.e.Evaluate(ctx, in, EvalOptions{Waivers: cfg.Waivers, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	return &CheckResult{Decision: d, Rules: l.e.Rules(), Inventory: inv, Input: in}, nil
}

func readConfig(opts CheckOptions) (*Config, error) {
	file, name := opts.ConfigFile, opts.ConfigFile
	if file == "" {
		file, name = filepath.Join(opts.Root, ConfigPath), ConfigPath
	}
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && opts.ConfigFile == "" {
		return &Config{}, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &ParseError{File: filepath.ToSlash(name), Msg: "policy data file does not exist"}
	}
	if err != nil {
		return nil, fmt.Errorf("read policy data: %w", err)
	}
	return ParseConfig(filepath.ToSlash(name), raw)
}
