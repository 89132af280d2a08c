package policy

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"
)

//go:embed rego/*.rego
var embedded embed.FS

// DefaultBundle returns the embedded default policy files (rules and their
// _test.rego files) rooted at "rego".
func DefaultBundle() fs.FS {
	sub, err := fs.Sub(embedded, "rego")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// GatePackage is the package of the default rules; user modules may not
// declare it or anything below it.
const GatePackage = "pinline.gate"

// UserPackage is the package under which user rules are collected.
const UserPackage = "pinline.user"

// file is one policy source file.
type file struct {
	name string // as reported in errors: path for user files, "policy/rego/x" for defaults
	raw  []byte
	user bool
}

func (f file) isTest() bool { return strings.HasSuffix(f.name, "_test.rego") }

// readFS reads every .rego, .json, .yaml and .yml file under root of fsys.
func readFS(fsys fs.FS, prefix string, user bool) ([]file, error) {
	var out []file
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".rego", ".json", ".yaml", ".yml":
		default:
			return nil
		}
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		out = append(out, file{name: filepath.ToSlash(filepath.Join(prefix, p)), raw: raw, user: user})
		return nil
	})
	return out, err
}

// readDirs reads user policy directories (or single files).
func readDirs(dirs []string) ([]file, error) {
	var out []file
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return nil, &ParseError{File: d, Msg: "policy directory: " + errors.Unwrap(err).Error()}
		}
		if !st.IsDir() {
			raw, err := os.ReadFile(d)
			if err != nil {
				return nil, fmt.Errorf("read policy: %w", err)
			}
			out = append(out, file{name: filepath.ToSlash(d), raw: raw, user: true})
			continue
		}
		fs, err := readFS(os.DirFS(d), d, true)
		if err != nil {
			return nil, fmt.Errorf("read policy directory %s: %w", d, err)
		}
		out = append(out, fs...)
	}
	return out, nil
}

// parsed holds the modules and data of a policy set.
type parsed struct {
	modules map[string]*ast.Module
	tests   map[string]*ast.Module
	data    map[string]any
	digest  string
}

// parseFiles parses policy and data files; _test.rego files only when
// withTests (pinline policy test), so that check does not pay for them.
func parseFiles(files []file, withTests bool) (*parsed, error) {
	sort.SliceStable(files, func(i, j int) bool { return files[i].name < files[j].name })
	p := &parsed{modules: map[string]*ast.Module{}, tests: map[string]*ast.Module{}, data: map[string]any{}, digest: filesDigest(files, withTests)}
	for _, f := range files {
		if f.isTest() && !withTests {
			continue
		}
		if strings.HasSuffix(f.name, ".rego") {
			m, err := ast.ParseModuleWithOpts(f.name, string(f.raw), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
			if err != nil {
				return nil, compileErr(err)
			}
			if f.user && isGate(m.Package.Path) {
				return nil, &CompileError{File: f.name, Line: m.Package.Location.Row, Column: m.Package.Location.Col,
					Msg: "user policies may not declare package " + GatePackage + " (use " + UserPackage + ".<name>)"}
			}
			if f.isTest() {
				p.tests[f.name] = m
				continue
			}
			p.modules[f.name] = m
		} else {
			if err := p.addData(f); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// filesDigest is the bundle digest of files sorted by name: every file
// parseFiles reads (_test.rego files only when withTests).
func filesDigest(files []file, withTests bool) string {
	h := sha256.New()
	for _, f := range files {
		if f.isTest() && !withTests {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f.name, len(f.raw))
		h.Write(f.raw)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func isGate(path ast.Ref) bool {
	s := strings.TrimPrefix(path.String(), "data.")
	return s == GatePackage || strings.HasPrefix(s, GatePackage+".")
}

// addData merges a data file's top-level object into the data root, like
// conftest --data and opa eval -d for files at a directory's root.
func (p *parsed) addData(f file) error {
	var doc any
	if err := yaml.Unmarshal(f.raw, &doc); err != nil {
		return yamlErr(f.name, err)
	}
	if doc == nil {
		return nil
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return &ParseError{File: f.name, Line: 1, Column: 1, Msg: "policy data must be an object"}
	}
	for k, v := range obj {
		if _, dup := p.data[k]; dup {
			return &ParseError{File: f.name, Msg: fmt.Sprintf("data key %q is defined by more than one file", k)}
		}
		if k == "pinline" {
			return &ParseError{File: f.name, Msg: `data key "pinline" is reserved for policies`}
		}
		p.data[k] = v
	}
	return nil
}

// compileErr converts OPA parse and compile errors into a CompileError
// naming the first error's file and position.
func compileErr(err error) error {
	var errs ast.Errors
	if errors.As(err, &errs) && len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errLess(errs[i], errs[j]) })
		e := errs[0]
		ce := &CompileError{Msg: e.Message, More: len(errs) - 1}
		if e.Location != nil {
			ce.File, ce.Line, ce.Column = e.Location.File, e.Location.Row, e.Location.Col
		}
		return ce
	}
	var one *ast.Error
	if errors.As(err, &one) && one.Location != nil {
		return &CompileError{File: one.Location.File, Line: one.Location.Row, Column: one.Location.Col, Msg: one.Message}
	}
	return &CompileError{Msg: err.Error()}
}

func errLess(a, b *ast.Error) bool {
	if a.Location == nil || b.Location == nil {
		return a.Location != nil
	}
	if a.Location.File != b.Location.File {
		return a.Location.File < b.Location.File
	}
	return a.Location.Row < b.Location.Row
}
