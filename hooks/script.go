package hooks

import (
	"strings"
)

// Marker identifies a hook pinline installed.
const Marker = "# pinline-hook v1"

// ChainedName is where Install keeps a pre-commit hook it replaced; the
// pinline hook runs it first and stops the commit when it fails.
const ChainedName = "pre-commit.pinline-chained"

// Pathspecs select the files the hook checks: Dagger module configuration,
// locks, pipeline specs and module source (the same set as the patterns of
// .pre-commit-hooks.yaml).
var Pathspecs = []string{
	":(glob)**/dagger.json", ":(glob)**/dagger.lock", ":(glob)**/pinline.yaml", ":(glob)**/pinline.yml",
	":(glob)**/*.go", ":(glob)**/*.py", ":(glob)**/*.ts",
}

// DefaultArgs is the pinline command the hook runs on the staged files.
var DefaultArgs = []string{"check"}

// Script renders the pre-commit hook. bin is the pinline executable (a path
// or a name looked up in PATH), args the subcommand and flags that receive
// the staged file names after "--". With all, the hook checks the whole
// working tree instead of the staged files (still only when a relevant
// file is staged).
func Script(bin string, args []string, all bool) string {
	if bin == "" {
		bin = "pinline"
	}
	if len(args) == 0 {
		args = DefaultArgs
	}
	var specs []string
	for _, p := range Pathspecs {
		specs = append(specs, shellQuote(p))
	}
	var cmd []string
	for _, a := range args {
		cmd = append(cmd, shellQuote(a))
	}
	run := "git diff --cached --name-only --diff-filter=ACMR -z -- @SPECS@ |\n\txargs -0 \"$pinline\" @ARGS@ --"
	if all {
		run = "\"$pinline\" @ARGS@"
	}
	tmpl := strings.Replace(scriptTemplate, "@RUN@", run, 1)
	r := strings.NewReplacer(
		"@MARKER@", Marker,
		"@CHAINED@", ChainedName,
		"@BIN@", shellQuote(bin),
		"@ARGS@", strings.Join(cmd, " "),
		"@SPECS@", strings.Join(specs, " "),
	)
	return r.Replace(tmpl)
}

const scriptTemplate = `#!/bin/sh
@MARKER@
# Installed by 'pinline hooks install'; remove with 'pinline hooks install --uninstall'.
# Runs the pre-commit hook it replaced (kept as @CHAINED@), then pinline
# on the staged dagger.json, dagger.lock, pinline.yaml and module source files.
hookdir=$(dirname "$0")
if [ -x "$hookdir/@CHAINED@" ]; then
	"$hookdir/@CHAINED@" "$@" || exit $?
fi
pinline=@BIN@
staged=$(git diff --cached --name-only --diff-filter=ACMR -- @SPECS@)
[ -n "$staged" ] || exit 0
@RUN@
if [ $? -ne 0 ]; then
	echo "pinline: commit blocked. Pin with 'pinline pin', then stage the changes; 'git commit --no-verify' skips the check." >&2
	exit 1
fi
exit 0
`

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
