package sbom

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

// GoBinary is what a Go executable says about how it was built.
type GoBinary struct {
	GoVersion string
	Path      string // main package path
	Main      GoModule
	Deps      []GoModule
	// Settings are the build settings worth recording (GOOS, GOARCH,
	// vcs.revision, ...). Flags that may carry values (-ldflags, -gcflags)
	// are left out.
	Settings map[string]string
}

// GoModule is a module compiled into a binary.
type GoModule struct {
	Path    string
	Version string
	Sum     string // h1:... go.sum hash, "" when unknown
	// Replace is the module that replaced this one, if any.
	Replace *GoModule
}

// recordedSettings are the build settings copied into the BOM.
var recordedSettings = map[string]bool{
	"GOOS": true, "GOARCH": true, "GOAMD64": true, "GOARM": true, "GOARM64": true, "CGO_ENABLED": true,
	"-compiler": true, "-buildmode": true, "-trimpath": true, "-tags": true, "-race": true,
	"vcs": true, "vcs.revision": true, "vcs.time": true, "vcs.modified": true, "DefaultGODEBUG": true,
}

// ReadGoBinary reads the build information of a Go executable (ELF, Mach-O,
// PE, XCOFF or Plan 9). It returns an error for anything else; it never
// panics on malformed input.
func ReadGoBinary(r io.ReaderAt) (gb *GoBinary, err error) {
	defer func() {
		if p := recover(); p != nil {
			gb, err = nil, fmt.Errorf("read go build info: malformed executable: %v", p)
		}
	}()
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil, fmt.Errorf("read go build info: %w", err)
	}
	gb = &GoBinary{GoVersion: bi.GoVersion, Path: bi.Path, Main: goModule(&bi.Main), Settings: map[string]string{}}
	for _, d := range bi.Deps {
		if d != nil {
			gb.Deps = append(gb.Deps, goModule(d))
		}
	}
	for _, s := range bi.Settings {
		if recordedSettings[s.Key] {
			gb.Settings[s.Key] = s.Value
		}
	}
	return gb, nil
}

func goModule(m *debug.Module) GoModule {
	g := GoModule{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		r := goModule(m.Replace)
		g.Replace = &r
	}
	return g
}

// effective is the module whose code is in the binary: the replacement
// when there is one with a version, else the module itself.
func (m GoModule) effective() GoModule {
	if m.Replace != nil && m.Replace.Version != "" {
		return *m.Replace
	}
	return m
}

func goPURL(path, version string) string {
	ns, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	if version == "(devel)" {
		version = ""
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}

// components returns the nested components of a Go binary whose own
// bom-ref is parent: the main module, the dependencies and the standard
// library.
func (gb *GoBinary) components(parent string) []cdx.Component {
	out := make([]cdx.Component, 0, len(gb.Deps)+2)
	if gb.Main.Path != "" {
		c := gb.Main.component(parent)
		addProp(&c, "go:main-module", "true")
		out = append(out, c)
	}
	for _, d := range gb.Deps {
		out = append(out, d.component(parent))
	}
	if gb.GoVersion != "" {
		out = append(out, cdx.Component{
			BOMRef: parent + "#gomod:stdlib@" + gb.GoVersion, Type: cdx.ComponentTypeLibrary,
			Name: "stdlib", Version: gb.GoVersion, PackageURL: goPURL("stdlib", strings.TrimPrefix(gb.GoVersion, "go")),
		})
	}
	return out
}

func (m GoModule) component(parent string) cdx.Component {
	e := m.effective()
	c := cdx.Component{
		BOMRef: parent + "#gomod:" + m.Path + "@" + m.Version, Type: cdx.ComponentTypeLibrary,
		Name: m.Path, Version: e.Version, PackageURL: goPURL(e.Path, e.Version),
	}
	if e.Version == "(devel)" {
		c.Version = ""
	}
	sum := m.Sum
	if m.Replace != nil {
		sum = m.Replace.Sum
		addProp(&c, "go:replace", strings.TrimSuffix(m.Replace.Path+"@"+m.Replace.Version, "@"))
		addProp(&c, "go:original", strings.TrimSuffix(m.Path+"@"+m.Version, "@"))
	}
	addProp(&c, "go:sum", sum)
	return c
}
