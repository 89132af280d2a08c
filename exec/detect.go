package exec

import (
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Import detection: each detector reads a snippet's source and returns the
// third-party packages it imports, sorted and without duplicates, in the
// naming of the package source that installs them (Debian, npm, Go module
// proxy). Standard-library imports are never returned. Detectors are
// regular-expression scanners, not parsers (Go uses go/parser): they read
// untrusted text, never fail and never run it (FuzzDetect).

// detectors maps a preset's Packages kind to its import detector.
var detectors = map[string]func(string) []string{
	"python": detectPython,
	"ruby":   detectRuby,
	"node":   detectNode,
	"go":     detectGo,
	"perl":   detectPerl,
}

// Detect returns the third-party packages a snippet imports for a
// Packages kind (nil for none or an unknown kind).
func Detect(kind, code string) []string {
	d, ok := detectors[kind]
	if !ok {
		return nil
	}
	return d(code)
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

var (
	pyImport = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+([A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?)*)`)
	pyFrom   = regexp.MustCompile(`(?m)^[ \t]*from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b`)
	pyName   = regexp.MustCompile(`^[A-Za-z_]\w*$`)
)

func detectPython(code string) []string {
	var out []string
	add := func(mod string) {
		top, _, _ := strings.Cut(strings.TrimSpace(mod), ".")
		if pyName.MatchString(top) && !pythonStdlib[top] && top != "__future__" {
			out = append(out, top)
		}
	}
	for _, m := range pyImport.FindAllStringSubmatch(code, -1) {
		for _, part := range strings.Split(m[1], ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			name, _, _ = strings.Cut(name, "\t")
			add(name)
		}
	}
	for _, m := range pyFrom.FindAllStringSubmatch(code, -1) {
		add(m[1])
	}
	return uniq(out)
}

var (
	rbRequire = regexp.MustCompile(`(?m)^[ \t]*(?:require|gem)[ \t(]+['"]([\w./-]+)['"]`)
	// rubyStdlib is Ruby 3.1's standard library and default gems (the
	// names a require of them uses).
	rubyStdlib = set("abbrev", "base64", "benchmark", "bigdecimal", "cgi", "coverage", "csv", "date",
		"delegate", "did_you_mean", "digest", "drb", "English", "erb", "error_highlight", "etc",
		"expect", "fcntl", "fiddle", "fileutils", "find", "forwardable", "getoptlong", "io",
		"ipaddr", "irb", "json", "logger", "matrix", "minitest", "monitor", "mutex_m", "net",
		"nkf", "objspace", "observer", "open-uri", "open3", "openssl", "optparse", "ostruct",
		"pathname", "pp", "prettyprint", "prime", "pstore", "psych", "pty", "racc", "rake",
		"rdoc", "readline", "reline", "resolv", "rinda", "ripper", "rss", "securerandom", "set",
		"shellwords", "singleton", "socket", "stringio", "strscan", "syslog", "tempfile", "time",
		"timeout", "tmpdir", "tsort", "un", "uri", "weakref", "yaml", "zlib", "rbconfig",
		"thread", "enumerator", "rational", "complex", "continuation", "ruby2_keywords",
		"test", "power_assert", "rubygems", "bundler", "debug", "win32ole", "random")
)

func detectRuby(code string) []string {
	var out []string
	for _, m := range rbRequire.FindAllStringSubmatch(code, -1) {
		top, _, _ := strings.Cut(m[1], "/")
		if importName.MatchString(top) && !rubyStdlib[top] {
			out = append(out, top)
		}
	}
	return uniq(out)
}

var (
	jsImport  = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+(?:type[ \t]+)?(?:[\w*{}\s,$]+?[ \t\n]+from[ \t]*)?['"]([^'"\n]+)['"]`)
	jsRequire = regexp.MustCompile(`\b(?:require|import)[ \t]*\([ \t]*['"]([^'"\n]+)['"][ \t]*\)`)
	npmName   = regexp.MustCompile(`^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$`)
)

func detectNode(code string) []string {
	var out []string
	add := func(spec string) {
		if strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "node:") {
			return
		}
		parts := strings.Split(spec, "/")
		name := parts[0]
		if strings.HasPrefix(name, "@") && len(parts) > 1 {
			name += "/" + parts[1]
		}
		if nodeBuiltin[name] || nodeBuiltin[spec] || !npmName.MatchString(name) {
			return
		}
		out = append(out, name)
	}
	for _, re := range []*regexp.Regexp{jsImport, jsRequire} {
		for _, m := range re.FindAllStringSubmatch(code, -1) {
			add(m[1])
		}
	}
	return uniq(out)
}

// detectGo returns the import paths outside the standard library (the
// first path element has a dot). Code that does not parse has none: the
// compile step reports it.
func detectGo(code string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", code, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []string
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(p, "/")
		if strings.Contains(first, ".") {
			out = append(out, p)
		}
	}
	return uniq(out)
}

var perlUse = regexp.MustCompile(`(?m)^[ \t]*(?:use|require)[ \t]+([A-Za-z]\w*(?:::\w+)*)`)

func detectPerl(code string) []string {
	var out []string
	for _, m := range perlUse.FindAllStringSubmatch(code, -1) {
		mod := m[1]
		if perlCore[mod] || strings.ToLower(mod) == mod { // pragmas are lower case
			continue
		}
		out = append(out, mod)
	}
	return uniq(out)
}
