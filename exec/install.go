package exec

import (
	"fmt"
	"regexp"
	"strings"
)

// Install is how a preset's detected packages are installed: the setup
// commands (run as root in the work directory) and, per detected import,
// the package that provides it.
type Install struct {
	// Packages maps each detected import to the package installed for it.
	Packages map[string]string `json:"packages"`
	Setup    [][]string        `json:"setup"`
}

// pythonDebian are the Python modules whose Debian package is not
// python3-<module>.
var pythonDebian = map[string]string{
	"yaml": "python3-yaml", "PIL": "python3-pil", "bs4": "python3-bs4", "sklearn": "python3-sklearn",
	"cv2": "python3-opencv", "dateutil": "python3-dateutil", "jwt": "python3-jwt",
	"serial": "python3-serial", "Crypto": "python3-pycryptodome", "OpenSSL": "python3-openssl",
	"dns": "python3-dnspython", "MySQLdb": "python3-mysqldb", "git": "python3-git",
	"magic": "python3-magic", "zmq": "python3-zmq", "gi": "python3-gi", "usb": "python3-usb",
	"docx": "python3-docx", "skimage": "python3-skimage", "Levenshtein": "python3-levenshtein",
}

var (
	importName = regexp.MustCompile(`^[A-Za-z0-9][\w.:-]*$`)
	debianName = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]+$`)
	goPath     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+(/[A-Za-z0-9._~-]+)*$`)
)

// Resolve maps detected imports to packages and setup commands. An import
// that maps to no valid package name is an ErrInvalid naming it.
func Resolve(kind string, imports []string) (Install, error) {
	in := Install{Packages: map[string]string{}}
	if len(imports) == 0 {
		return in, nil
	}
	var pkgs []string
	for _, imp := range imports {
		if (kind == "python" || kind == "ruby" || kind == "perl") && !importName.MatchString(imp) {
			return Install{}, fmt.Errorf("%w: import %q: maps to no Debian package", ErrInvalid, imp)
		}
		var pkg string
		switch kind {
		case "python":
			pkg = pythonDebian[imp]
			if pkg == "" {
				pkg = "python3-" + strings.ReplaceAll(strings.ToLower(imp), "_", "-")
			}
		case "ruby":
			pkg = "ruby-" + strings.ReplaceAll(strings.ToLower(imp), "_", "-")
		case "perl":
			pkg = "lib" + strings.ReplaceAll(strings.ToLower(imp), "::", "-") + "-perl"
		case "node":
			if !npmName.MatchString(imp) {
				return Install{}, fmt.Errorf("%w: import %q: not an npm package name", ErrInvalid, imp)
			}
			pkg = imp
		case "go":
			if !goPath.MatchString(imp) || strings.Contains(imp, "..") {
				return Install{}, fmt.Errorf("%w: import %q: not a Go module path", ErrInvalid, imp)
			}
			pkg = imp
		default:
			return Install{}, fmt.Errorf("%w: packages kind %q installs nothing", ErrInvalid, kind)
		}
		if kind != "node" && kind != "go" && !debianName.MatchString(pkg) {
			return Install{}, fmt.Errorf("%w: import %q: maps to no Debian package name (got %q)", ErrInvalid, imp, pkg)
		}
		in.Packages[imp] = pkg
		pkgs = append(pkgs, pkg)
	}
	pkgs = uniq(pkgs)
	switch kind {
	case "python", "ruby", "perl":
		in.Setup = [][]string{append([]string{"apt-get", "install", "-y", "-q", "--no-install-recommends", "--"}, pkgs...)}
	case "node":
		in.Setup = [][]string{append([]string{"npm", "install", "--no-audit", "--no-fund", "--no-update-notifier",
			"--cache", "/home/runner/.npm", "--prefix", Workdir, "--"}, pkgs...)}
	case "go":
		// Setup runs as root: its build cache stays out of the user's
		// (root-owned entries there would fail the compile).
		args := []string{"env", "GOCACHE=/tmp/.pinline-setup-gocache", "go", "get"}
		for _, p := range pkgs {
			args = append(args, p+"@latest")
		}
		in.Setup = [][]string{args}
	}
	return in, nil
}

// unlocatable finds the package an apt-get failure names ("Unable to
// locate package X"), or "".
var aptMissing = regexp.MustCompile(`Unable to locate package (\S+)`)

// installFailure names the import whose package could not be installed,
// when the setup output tells.
func installFailure(in Install, stderr string) string {
	m := aptMissing.FindStringSubmatch(stderr)
	for imp, pkg := range in.Packages {
		switch {
		case m != nil && m[1] == pkg:
			return fmt.Sprintf("import %q: Debian package %s does not exist", imp, pkg)
		case m == nil && strings.Contains(stderr, pkg):
			return fmt.Sprintf("import %q: package %s could not be installed", imp, pkg)
		}
	}
	return ""
}
