package light

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/pinline/pinline/cmd/internal/light.version=..."
// (both binaries, pinline and pinline-full, take it from here).
var (
	version = "dev"
	commit  = ""
)

// VersionInfo is what `pinline version` prints.
type VersionInfo struct {
	Version   string            `json:"version"`
	Commit    string            `json:"commit"`
	GoVersion string            `json:"goVersion"`
	Platform  string            `json:"platform"`
	Libraries map[string]string `json:"libraries"`
}

// libraries whose versions `pinline version` reports.
var reportedLibraries = []struct{ name, path string }{
	{"opa", "github.com/open-policy-agent/opa"},
	{"dagger", "dagger.io/dagger"},
	{"cosign", "github.com/sigstore/cosign/v2"},
	{"cyclonedx-go", "github.com/CycloneDX/cyclonedx-go"},
	{"in-toto-golang", "github.com/in-toto/in-toto-golang"},
	{"in-toto-attestation", "github.com/in-toto/attestation"},
}

// Version describes this build: pinline's version and commit, and the
// versions of the reported libraries linked into the running binary.
func Version() VersionInfo { return versionInfo() }

// ReportedLibraries names, in order, the libraries `pinline version`
// prints.
func ReportedLibraries() []string {
	out := make([]string, len(reportedLibraries))
	for i, l := range reportedLibraries {
		out[i] = l.name
	}
	return out
}

func versionInfo() VersionInfo {
	v := VersionInfo{Version: version, Commit: commit, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Libraries: map[string]string{}}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	deps := map[string]string{}
	for _, d := range bi.Deps {
		deps[d.Path] = d.Version
		if d.Replace != nil {
			deps[d.Path] = d.Replace.Version
		}
	}
	for _, l := range reportedLibraries {
		if ver, ok := deps[l.path]; ok {
			v.Libraries[l.name] = ver
		} else {
			v.Libraries[l.name] = "(not linked)"
		}
	}
	if v.Commit == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
	}
	if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	return v
}
