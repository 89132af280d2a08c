package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	// ConfigFile is the operator's policy data file (--policy-data). In
	// tier local "" means Root/.pinline/policy.yaml when it exists. In
	// every other tier the repository is data: its own policy data is
	// reported (PL020) and never applied, and ConfigFile must resolve
	// (after symlinks) to a file outside Root.
	ConfigFile string
	// WaiverMaxAge caps how far after Now a waiver may expire (zero:
	// DefaultWaiverMaxAge).
	WaiverMaxAge time.Duration
	// AllBuiltins gives user policies the full OPA builtin set (see
	// Options.AllBuiltins).
	AllBuiltins bool
	// Now is the evaluation time: it decides waiver expiry and is the
	// input's evaluation field (zero: time.Now()).
	Now time.Time
	// Env selects a workspace environment overlay (dagger.toml, --env).
	Env string
	// UserConfig is the user-level Dagger config (nil: none); its
	// workspace overrides are PL025.
	UserConfig *inventory.UserConfigFile
	// Frozen is pinline run/call --frozen: a lookup the run would add to
	// dagger.lock is denied (PL028).
	Frozen bool
}

// TierLocal is the developer's own machine: the only tier in which the
// repository may configure the gate.
const TierLocal = "local"

// RuleRepoPolicyIgnored is the id of the notice that a repository's own
// policy data was ignored outside tier local.
const RuleRepoPolicyIgnored = "PL020"

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
	cfg, notices, err := readConfig(opts)
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckExpiry(opts.Now, opts.WaiverMaxAge); err != nil {
		return nil, err
	}
	// Compile the policies while the repository is walked.
	type loaded struct {
		e   *Engine
		err error
	}
	ch := make(chan loaded, 1)
	go func() {
		e, err := Load(ctx, Options{UserDirs: opts.UserDirs, AllBuiltins: opts.AllBuiltins})
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
	if r := opts.Run; r != nil && r.Spec != nil {
		if err := inv.AddSpec(r.SpecPath, r.Spec); err != nil {
			return nil, err
		}
	}
	if err := l.e.CheckWaivers(cfg.Waivers); err != nil {
		return nil, err
	}
	in := BuildInput(inv, InputOptions{Tier: opts.Tier, Run: opts.Run, Config: cfg, Now: opts.Now, Frozen: opts.Frozen})
	d, err := l.e.Evaluate(ctx, in, EvalOptions{Waivers: cfg.Waivers, Now: opts.Now, Notices: notices})
	if err != nil {
		return nil, err
	}
	return &CheckResult{Decision: d, Rules: l.e.Rules(), Inventory: inv, Input: in}, nil
}

// readConfig reads the policy data that applies to opts.Tier, and the
// notices about policy data that does not apply.
func readConfig(opts CheckOptions) (*Config, []Finding, error) {
	if opts.Tier != TierLocal {
		var notices []Finding
		if repoConfigExists(opts.Root) {
			notices = append(notices, Finding{RuleID: RuleRepoPolicyIgnored, Severity: SeverityWarn, Source: "default",
				Pos:     Pos{File: ConfigPath, Line: 1, Column: 1},
				Message: fmt.Sprintf("%s is ignored outside tier local (tier %q): waivers and allowlists come only from --policy-data outside the repository", ConfigPath, opts.Tier)})
		}
		if opts.ConfigFile == "" {
			return &Config{}, notices, nil
		}
		if err := outsideRoot(opts.Root, opts.ConfigFile); err != nil {
			return nil, nil, err
		}
		cfg, err := readConfigFile(opts.ConfigFile)
		return cfg, notices, err
	}
	if opts.ConfigFile != "" {
		cfg, err := readConfigFile(opts.ConfigFile)
		return cfg, nil, err
	}
	// The repository's own file, read through os.Root: a symlink out of
	// the repository is not followed.
	r, err := os.OpenRoot(opts.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("read policy data: %w", err)
	}
	defer r.Close()
	raw, err := r.ReadFile(ConfigPath)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil, nil
	}
	if err != nil && !repoConfigExists(opts.Root) {
		// A link out of the repository (.pinline -> elsewhere) with no
		// policy data behind it: there is nothing to refuse, and nothing
		// is read.
		return &Config{}, nil, nil
	}
	if err != nil {
		return nil, nil, &ParseError{File: ConfigPath, Msg: "policy data: " + err.Error()}
	}
	cfg, err := ParseConfig(ConfigPath, raw)
	return cfg, nil, err
}

// repoConfigExists reports whether the repository has its own policy data
// (a file, a link, anything at ConfigPath).
func repoConfigExists(root string) bool {
	_, err := os.Lstat(filepath.Join(root, ConfigPath))
	return err == nil
}

// outsideRoot requires the operator's policy data file to resolve, after
// symlinks, to a path outside the repository root.
func outsideRoot(root, file string) error {
	name := filepath.ToSlash(file)
	real, err := filepath.EvalSymlinks(file)
	if errors.Is(err, fs.ErrNotExist) {
		return &ParseError{File: name, Msg: "policy data file does not exist"}
	}
	if err != nil {
		return &ParseError{File: name, Msg: "policy data: " + err.Error()}
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("resolve repository root: %w", err)
	}
	absFile, err1 := filepath.Abs(real)
	absRoot, err2 := filepath.Abs(realRoot)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("resolve policy data path: %w", errors.Join(err1, err2))
	}
	rel, err := filepath.Rel(absRoot, absFile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	return &ParseError{File: name, Msg: fmt.Sprintf("policy data resolves to %s, inside the repository: outside tier local it must come from an operator location outside the repository", filepath.ToSlash(absFile))}
}

func readConfigFile(file string) (*Config, error) {
	name := filepath.ToSlash(file)
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &ParseError{File: name, Msg: "policy data file does not exist"}
	}
	if err != nil {
		return nil, fmt.Errorf("read policy data: %w", err)
	}
	return ParseConfig(name, raw)
}
