package inventory

import (
	"regexp"
	"strings"
)

// Kinds of SourceLint findings (the gate's rules PL035–PL039 judge them).
const (
	LintHostDirectory = "host-directory-dynamic" // Host().Directory(<non-literal>)
	LintHostFile      = "host-file-dynamic"      // Host().File(<non-literal>)
	LintSecretEnv     = "secret-env"             // WithEnvVariable("*TOKEN*", os.Getenv(...))
	LintHostSocket    = "host-socket"            // Host().UnixSocket(...)
	LintHostService   = "host-service"           // Host().Service(...)
)

// SourceLint is a pattern in module source code that reaches the host
// beyond what the module was handed: a host path chosen at run time, a
// host secret copied into a plain environment variable, a host socket or
// the host's network.
type SourceLint struct {
	Pos    Position `json:"pos"`
	Origin string   `json:"origin"` // go, python, typescript
	Kind   string   `json:"kind"`
	// Expr is the call's argument as written (trimmed, clipped);
	// Name the environment variable of a secret-env finding.
	Expr string `json:"expr"`
	Name string `json:"name,omitempty"`
}

// lintPatterns per origin. Host calls are matched across line breaks
// (dag.Host().\n\tDirectory(...)); the argument is what follows up to the
// first comma or closing parenthesis.
var lintPatterns = map[string]struct {
	host, secretEnv *regexp.Regexp
	dir, file       string
	socket, service string
}{
	"go": {
		host:      regexp.MustCompile(`\.Host\(\)\s*\.\s*(Directory|File|UnixSocket|Service)\(\s*([^,)]*)`),
		secretEnv: regexp.MustCompile(`WithEnvVariable\(\s*("[^"]*"|` + "`[^`]*`" + `)\s*,\s*os\.(Getenv|LookupEnv)\(`),
		dir:       "Directory", file: "File", socket: "UnixSocket", service: "Service",
	},
	"python": {
		host:      regexp.MustCompile(`\.host\(\)\s*\.\s*(directory|file|unix_socket|service)\(\s*([^,)]*)`),
		secretEnv: regexp.MustCompile(`with_env_variable\(\s*("[^"]*"|'[^']*')\s*,\s*os\.(environ|getenv)\b`),
		dir:       "directory", file: "file", socket: "unix_socket", service: "service",
	},
	"typescript": {
		host:      regexp.MustCompile(`\.host\(\)\s*\.\s*(directory|file|unixSocket|service)\(\s*([^,)]*)`),
		secretEnv: regexp.MustCompile(`withEnvVariable\(\s*("[^"]*"|'[^']*'|` + "`[^`]*`" + `)\s*,\s*(process\.env|Deno\.env|Bun\.env)\b`),
		dir:       "directory", file: "file", socket: "unixSocket", service: "service",
	},
}

// secretName: an environment variable name that looks like a secret.
var secretName = regexp.MustCompile(`(?i)TOKEN|PASSWORD|PASSWD|KEY|SECRET`)

// LintSource finds SourceLint patterns in one module source file of the
// given origin ("go", "python" or "typescript"). Matches inside comments
// are skipped (line comments only: // and #).
func LintSource(file, origin string, data []byte) []SourceLint {
	p, ok := lintPatterns[origin]
	if !ok {
		return nil
	}
	src := string(data)
	var idx LineIndex
	indexed := false
	pos := func(off int) Position {
		if !indexed {
			idx, indexed = NewLineIndex(data), true
		}
		l, c := idx.Pos(off)
		return Position{File: file, Line: l, Column: c}
	}
	var out []SourceLint
	for _, m := range p.host.FindAllStringSubmatchIndex(src, -1) {
		if inLineComment(src, m[0], origin) {
			continue
		}
		fn, arg := src[m[2]:m[3]], strings.TrimSpace(src[m[4]:m[5]])
		var kind string
		switch fn {
		case p.dir, p.file:
			if isStringLiteral(arg) {
				continue
			}
			kind = LintHostDirectory
			if fn == p.file {
				kind = LintHostFile
			}
		case p.socket:
			kind = LintHostSocket
		case p.service:
			kind = LintHostService
		}
		out = append(out, SourceLint{Pos: pos(m[0] + 1), Origin: origin, Kind: kind, Expr: clip(arg)})
	}
	for _, m := range p.secretEnv.FindAllStringSubmatchIndex(src, -1) {
		if inLineComment(src, m[0], origin) {
			continue
		}
		name := src[m[2]+1 : m[3]-1]
		if !secretName.MatchString(name) {
			continue
		}
		out = append(out, SourceLint{Pos: pos(m[0]), Origin: origin, Kind: LintSecretEnv, Name: name, Expr: clip(src[m[0]:m[1]])})
	}
	return out
}

// isStringLiteral is a quoted string with nothing else (no concatenation).
func isStringLiteral(s string) bool {
	if len(s) < 2 {
		return false
	}
	q := s[0]
	if q != '"' && q != '\'' && q != '`' || s[len(s)-1] != q {
		return false
	}
	return !strings.ContainsRune(s[1:len(s)-1], rune(q)) && !strings.Contains(s, "${")
}

// inLineComment reports whether offset off is after a line comment marker
// on its line.
func inLineComment(src string, off int, origin string) bool {
	start := strings.LastIndexByte(src[:off], '\n') + 1
	line := src[start:off]
	marker := "//"
	if origin == "python" {
		marker = "#"
	}
	return strings.Contains(line, marker)
}
