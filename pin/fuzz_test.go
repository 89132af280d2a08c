package pin

import (
	"strings"
	"testing"
)

// FuzzCollect: the dagger.json, dagger.lock, TOML and pinline.yaml collectors
// never panic, and every edit they offer keeps the rest of the file
// byte for byte (it only inserts or replaces its own span).
func FuzzCollect(f *testing.F) {
	f.Add("dagger.json", `{"dependencies":[{"name":"a","source":"github.com/o/r@v1"}],"sdk":{"source":"github.com/o/s"}}`)
	f.Add("dagger.json", `{"toolchains":[{"source":"github.com/o/r@main","pin":""}]}`)
	f.Add("dagger.lock", "[[\"version\",\"2\"]]\n[\"\",\"oci-latest\",[\"registry.example.invalid/library/nginx\"],\"1.2\"]\n[\"\",\"git-latest\",[\"github.com/o/r\"],\"refs/tags/v1\"]")
	f.Add("pinline.yaml", "images:\n  a: \"alpine:3\"\ntasks:\n  t: {image: 'x/y:1'}\n")
	f.Add("dagger-module.toml", "name = \"m\"\n[runtime]\nsource = 'github.com/o/s@v1'\n[[dependencies]]\nname = \"a\"\nsource = \"github.com/o/r@v1\" # c\npin = \"\"\n")
	f.Add("dagger.toml", "[modules.a]\nsource = \"github.com/o/r@main\"\n[env.ci.modules.a]\npin = \"x\"\n")
	f.Fuzz(func(t *testing.T, name, content string) {
		fl := newFile(name, name, []byte(content))
		switch name {
		case "dagger.json":
			_ = collectDaggerJSON(fl)
		case "dagger.lock":
			_ = collectLock(fl)
		case "pinline.yaml":
			_ = collectSpec(fl)
		case "dagger-module.toml", "dagger.toml":
			_ = collectTOML(fl)
		default:
			return
		}
		const pinValue = "PINVALUE"
		for _, s := range fl.sites {
			if s.edit == nil {
				continue
			}
			e := s.edit(pinValue)
			if e.off < 0 || e.end > len(content) || e.off > e.end {
				t.Fatalf("edit out of range: %+v", e)
			}
			out := string(apply([]byte(content), []edit{e}))
			if !strings.HasPrefix(out, content[:e.off]) || !strings.HasSuffix(out, content[e.end:]) || !strings.Contains(out, pinValue) {
				t.Fatalf("edit damaged the file:\n%s", out)
			}
		}
	})
}
