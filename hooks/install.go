package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pinline/pinline/internal/atomicfile"
)

// Options say where and what to install.
type Options struct {
	// Dir is a directory inside the repository ("" = current directory).
	Dir string
	// Bin is the pinline executable the hook runs ("" = pinline from PATH).
	Bin string
	// Args is the pinline subcommand the hook runs (nil = DefaultArgs).
	Args []string
	// All makes the hook check the whole repository rather than only the
	// staged files.
	All bool
}

// Result says what Install or Uninstall did.
type Result struct {
	// Hook is the path of the pre-commit hook.
	Hook string
	// Action is "installed", "updated", "unchanged", "removed" or
	// "not-installed".
	Action string
	// Chained is the path of the kept hook, when there is one.
	Chained string
}

// ErrChainOccupied is returned when a foreign pre-commit hook and a kept
// hook both exist: Install would lose one of them.
var ErrChainOccupied = errors.New("both a foreign pre-commit hook and " + ChainedName + " exist")

// ErrNotRepository is returned outside a git repository.
var ErrNotRepository = errors.New("not a git repository")

// HooksDir returns the repository's hooks directory (honouring
// core.hooksPath).
func HooksDir(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--git-path", "hooks")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "not a git repository") {
			return "", fmt.Errorf("%s: %w", dir, ErrNotRepository)
		}
		return "", fmt.Errorf("find git hooks directory: %w: %s", err, msg)
	}
	p := strings.TrimSpace(string(out))
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p, nil
}

// Install writes the pinline pre-commit hook. It is idempotent: an
// installed pinline hook is rewritten only when it differs. A foreign hook
// is kept as ChainedName and run first by the pinline hook.
func Install(ctx context.Context, o Options) (Result, error) {
	hooksDir, err := HooksDir(ctx, o.dirOrDot())
	if err != nil {
		return Result{}, err
	}
	if err := os.MkdirAll(hooksDir, 0o755); err != nil {
		return Result{}, err
	}
	hook := filepath.Join(hooksDir, "pre-commit")
	chained := filepath.Join(hooksDir, ChainedName)
	res := Result{Hook: hook}
	if exists(chained) {
		res.Chained = chained
	}
	want := Script(o.Bin, o.Args, o.All)
	cur, err := os.ReadFile(hook)
	switch {
	case errors.Is(err, os.ErrNotExist):
		res.Action = "installed"
	case err != nil:
		return res, err
	case isOurs(cur):
		if string(cur) == want {
			res.Action = "unchanged"
			return res, nil
		}
		res.Action = "updated"
	default:
		if res.Chained != "" {
			return res, fmt.Errorf("%s: %w", hooksDir, ErrChainOccupied)
		}
		if err := os.Rename(hook, chained); err != nil {
			return res, err
		}
		res.Chained, res.Action = chained, "installed"
	}
	return res, writeExecutable(hook, want)
}

// Uninstall removes the pinline hook and puts a kept hook back. A foreign
// pre-commit hook is left alone.
func Uninstall(ctx context.Context, o Options) (Result, error) {
	hooksDir, err := HooksDir(ctx, o.dirOrDot())
	if err != nil {
		return Result{}, err
	}
	hook := filepath.Join(hooksDir, "pre-commit")
	chained := filepath.Join(hooksDir, ChainedName)
	res := Result{Hook: hook, Action: "not-installed"}
	cur, err := os.ReadFile(hook)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !isOurs(cur)) {
		return res, nil
	} else if err != nil {
		return res, err
	}
	if err := os.Remove(hook); err != nil {
		return res, err
	}
	res.Action = "removed"
	if exists(chained) {
		if err := os.Rename(chained, hook); err != nil {
			return res, err
		}
		res.Chained = chained
	}
	return res, nil
}

func (o Options) dirOrDot() string {
	if o.Dir == "" {
		return "."
	}
	return o.Dir
}

func isOurs(b []byte) bool { return bytes.Contains(b, []byte(Marker)) }

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func writeExecutable(path, content string) error {
	return atomicfile.Write(path, []byte(content), 0o755)
}
