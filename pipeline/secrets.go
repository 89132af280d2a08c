package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pinline/pinline/spec"
)

// resolveSecret reads a secret's value from its source. Errors name the
// secret and the source, never the value.
func resolveSecret(ctx context.Context, o *Options, sec spec.Secret) (string, error) {
	if sec.Value != "" {
		return "", fmt.Errorf("secret %q: literal values are not allowed", sec.Name)
	}
	f := sec.From
	n := 0
	for _, set := range []bool{f.Env != "", f.File != "", len(f.Command) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", fmt.Errorf("secret %q: from needs exactly one of env, file, command", sec.Name)
	}
	switch {
	case f.Env != "":
		if o.LookupEnv == nil {
			return "", fmt.Errorf("secret %q: environment variable %s is not available", sec.Name, f.Env)
		}
		v, ok := o.LookupEnv(f.Env)
		if !ok {
			return "", fmt.Errorf("secret %q: environment variable %s is not set", sec.Name, f.Env)
		}
		return v, nil
	case f.File != "":
		p := f.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(o.Root, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("secret %q: read %s: %w", sec.Name, f.File, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	default:
		cmd := exec.CommandContext(ctx, f.Command[0], f.Command[1:]...)
		cmd.Dir = o.Root
		cmd.Env = o.HostEnv
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			// stderr may echo the value: do not include it.
			return "", fmt.Errorf("secret %q: command %s failed: %w", sec.Name, f.Command[0], err)
		}
		return strings.TrimRight(string(out), "\r\n"), nil
	}
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
