package pipeline

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
	"github.com/pinline/pinline/spec"
)

// callArg is one argument of a call, as the gate and the record see it.
type callArg struct {
	name   string
	value  string
	hasVal bool
	secret bool   // a secret provider (env:, file:): recorded by name only
	scheme string // the secret provider (env, file, cmd, ...); value is what follows it
	host   string // what the value reaches on the host, when it does: "path", "socket", "service", "command", "store"
}

// secretSchemes are dagger call's secret providers.
var secretSchemes = []string{"env", "file", "cmd", "op", "vault", "libsecret"}

// parseCallArgs splits `--name value`, `--name=value` and bare `--flag`
// tokens (other tokens, such as chained functions, are kept as values of
// no flag). Values are classified by what they reach on the host.
func parseCallArgs(args []string) []callArg {
	var out []callArg
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") || a == "--" {
			out = append(out, classify(callArg{value: a, hasVal: true}))
			continue
		}
		name, val, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		ca := callArg{name: name}
		if ok {
			ca.value, ca.hasVal = val, true
		} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			ca.value, ca.hasVal = args[i], true
		}
		out = append(out, classify(ca))
	}
	return out
}

func classify(a callArg) callArg {
	if !a.hasVal {
		return a
	}
	v := a.value
	scheme, rest, hasScheme := strings.Cut(v, ":")
	if hasScheme && slices.Contains(secretSchemes, scheme) {
		a.secret, a.scheme = true, scheme
		switch scheme {
		case "file":
			a.host = "path"
		case "cmd":
			a.host = "command"
		case "env":
		default:
			a.host = "store"
		}
		a.value = strings.TrimPrefix(rest, "//")
		return a
	}
	// dagger call fetches a directory or file argument from git only for
	// the schemes its git URL parser knows; any other value, also one
	// with an unknown scheme (x://../../etc is ../etc), is a host path.
	switch scheme, _, _ := strings.Cut(urlScheme.FindString(v), ":"); strings.ToLower(scheme) {
	case "unix":
		a.host = "socket"
	case "tcp", "udp":
		a.host = "service"
	case "http", "https", "ssh", "git":
	default:
		a.host = "path"
	}
	return a
}

// urlScheme is the scheme prefix dagger's address parser sees
// (util/gitutil in the engine).
var urlScheme = regexp.MustCompile(`^[a-zA-Z0-9]+://`)

// String is the argument as recorded: secret values never.
func (a callArg) String() string {
	var b strings.Builder
	if a.name != "" {
		b.WriteString("--" + a.name)
		if a.hasVal {
			b.WriteString("=")
		}
	}
	if a.secret {
		b.WriteString("***")
	} else {
		b.WriteString(a.value)
	}
	return b.String()
}

// callCommand is the recorded command line of a call task (secrets masked).
func callCommand(c *spec.Call) []string {
	mod := c.Module
	if mod == "" {
		mod = "."
	}
	argv := []string{"dagger", "call", "-m", mod, c.Function}
	for _, a := range parseCallArgs(c.Args) {
		argv = append(argv, a.String())
	}
	return argv
}

// callRecord is the record.Call of a call task before it ran.
func callRecord(m *callModule, c *spec.Call) *record.Call {
	rc := &record.Call{Module: m.rel, ModuleName: m.name, SDK: m.sdk, Function: c.Function, Args: []record.CallArg{}}
	for _, a := range parseCallArgs(c.Args) {
		ra := record.CallArg{Name: a.name, Secret: a.secret}
		if !a.secret {
			ra.Value = a.value
		}
		rc.Args = append(rc.Args, ra)
	}
	return rc
}

// argDigests records the digest of every named, non-secret argument whose
// value names a directory or file of the repository: what the function is
// handed from the host, hashed just before the call (the gate has checked
// that it resolves inside the repository). A directory's digest is its
// manifest's (dirDigest), without the runs directory, which changes while
// the run writes its records; values that name nothing stay without one.
func argDigests(ctx context.Context, root, runsDir string, c *spec.Call, rc *record.Call) error {
	runs, _ := resolveExisting(runsDir)
	for i, a := range parseCallArgs(c.Args) {
		if a.secret || a.host != "path" || a.name == "" {
			continue
		}
		p, err := insideRoot(root, a.value)
		if err != nil {
			return fmt.Errorf("argument --%s: %w", a.name, err)
		}
		st, err := os.Stat(p)
		if err != nil {
			continue // a value that names nothing: a string argument
		}
		var d string
		switch {
		case st.IsDir():
			d, _, _, err = dirDigestExcept(ctx, p, runs)
		case st.Mode().IsRegular():
			var h sbom.Digests
			h, err = sbom.HashFileSHA256(ctx, p)
			d = h.SHA256
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("argument --%s: digest %s: %w", a.name, a.value, err)
		}
		rc.Args[i].Digest = "sha256:" + d
	}
	return nil
}
