package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pinline/pinline/spec"
)

// maxSecretSize bounds a secret value read from a file or a command.
const maxSecretSize = 1 << 20

// resolveSecret reads a secret's value. The operator's secrets file for
// the run's tier wins; a spec's own from: is honoured only in tier local
// (elsewhere the gate denied it as PL015; this is the executor's own
// check). Errors name the secret and the source, never the value.
func resolveSecret(ctx context.Context, o *Options, sec spec.Secret) (string, error) {
	if sec.Value != "" {
		return "", fmt.Errorf("secret %q: literal values are not allowed", sec.Name)
	}
	if n := countSources(sec.From); n > 1 {
		return "", fmt.Errorf("secret %q: from needs exactly one of env, file, command", sec.Name)
	}
	if op, ok := o.Secrets.Source(o.Tier, sec.Name); ok {
		where := fmt.Sprintf("%s:%d:%d", o.Secrets.Path, op.Pos.Line, op.Pos.Column)
		v, err := operatorSource(ctx, o, op.From)
		if err != nil {
			return "", fmt.Errorf("secret %q (%s): %w", sec.Name, where, err)
		}
		return v, nil
	}
	if !sec.From.Set() {
		file := "no secrets file (--secrets, $PINLINE_SECRETS)"
		if o.Secrets != nil {
			file = "not in " + o.Secrets.Path
		}
		return "", fmt.Errorf("secret %q: no source for tier %q: %s", sec.Name, o.Tier, file)
	}
	if o.Tier != "local" {
		return "", fmt.Errorf("%w: secret %q: the spec's from: is honoured only in tier local, not %q (PL015)", ErrDenied, sec.Name, o.Tier)
	}
	v, err := localSource(ctx, o, sec.From)
	if err != nil {
		return "", fmt.Errorf("secret %q: %w", sec.Name, err)
	}
	return v, nil
}

func countSources(f spec.SecretSource) int {
	n := 0
	for _, set := range []bool{f.Env != "", f.File != "", len(f.Command) > 0} {
		if set {
			n++
		}
	}
	return n
}

// operatorSource reads a source the operator configured: any variable of
// pinline's environment but signing material, any file (relative to the
// secrets file), a command run with the minimal environment.
func operatorSource(ctx context.Context, o *Options, f spec.SecretSource) (string, error) {
	dir := filepath.Dir(o.Secrets.Path)
	switch {
	case f.Env != "":
		return envSource(o, f.Env)
	case f.File != "":
		p := f.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fh, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.File, err)
		}
		defer fh.Close()
		return readValue(fh, f.File)
	default:
		return commandSource(ctx, o, f.Command, dir)
	}
}

// localSource reads a spec's own source in tier local: a variable (never
// signing material), a file inside the repository or $HOME opened through
// os.Root (no symlink or .. out of either), a command with the minimal
// environment in the repository root.
func localSource(ctx context.Context, o *Options, f spec.SecretSource) (string, error) {
	switch {
	case f.Env != "":
		return envSource(o, f.Env)
	case f.File != "":
		return confinedFile(o.Root, o.Home, f.File)
	default:
		return commandSource(ctx, o, f.Command, o.Root)
	}
}

func envSource(o *Options, name string) (string, error) {
	if sensitiveEnv(name) {
		return "", fmt.Errorf("environment variable %s is signing material or a credential of pinline and never a secret source", name)
	}
	if o.LookupEnv == nil {
		return "", fmt.Errorf("environment variable %s is not available", name)
	}
	v, ok := o.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// confinedFile reads p (relative to root, or absolute) through an os.Root
// on the repository root or on home, whichever lexically contains it:
// symlinks are followed only while they stay inside that root.
func confinedFile(root, home, p string) (string, error) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, p)
	}
	abs = filepath.Clean(abs)
	for _, base := range []string{root, home} {
		if base == "" {
			continue
		}
		rel, err := filepath.Rel(base, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		r, err := os.OpenRoot(base)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", p, err)
		}
		defer r.Close()
		fh, err := r.Open(rel)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", p, err)
		}
		defer fh.Close()
		return readValue(fh, p)
	}
	return "", fmt.Errorf("read %s: the file is outside the repository and $HOME", p)
}

func readValue(r io.Reader, name string) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSecretSize+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxSecretSize {
		return "", fmt.Errorf("read %s: larger than %d bytes", name, maxSecretSize)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func commandSource(ctx context.Context, o *Options, argv []string, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = minimalEnv(o.HostEnv)
	var stdout limitedBuffer
	stdout.max = maxSecretSize
	cmd.Stdout = &stdout
	// stderr may echo the value: it is neither kept nor shown.
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("command %s failed: %w", argv[0], err)
	}
	if stdout.over {
		return "", fmt.Errorf("command %s: output larger than %d bytes", argv[0], maxSecretSize)
	}
	return strings.TrimRight(stdout.b.String(), "\r\n"), nil
}

type limitedBuffer struct {
	b    bytes.Buffer
	max  int
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		l.over = true
		return len(p), nil
	}
	return l.b.Write(p)
}

// redactor replaces secret values in text before it is written anywhere.
type redactor struct {
	mu     sync.RWMutex
	values []string
	r      *strings.Replacer
}

const redacted = "***"

func (r *redactor) add(v string) {
	if v == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cands := []string{v}
	if t := strings.TrimSpace(v); t != v && t != "" {
		cands = append(cands, t)
	}
	// Multi-line values also leak line by line.
	for _, line := range strings.Split(v, "\n") {
		if line = strings.TrimSpace(line); len(line) >= 4 {
			cands = append(cands, line)
		}
	}
	r.values = append(r.values, cands...)
	// Longest first so that a value containing another is replaced whole.
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	pairs := make([]string, 0, 2*len(r.values))
	for _, v := range r.values {
		pairs = append(pairs, v, redacted)
	}
	r.r = strings.NewReplacer(pairs...)
}

func (r *redactor) scrub(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// scrubWriter scrubs everything written through it. Writes are line
// oriented in practice (session diagnostics); a value split across two
// writes is not caught, so callers write whole lines.
type scrubWriter struct {
	r *redactor
	w interface{ Write([]byte) (int, error) }
}

func (s scrubWriter) Write(p []byte) (int, error) {
	if _, err := s.w.Write([]byte(s.r.scrub(string(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}
