package inventory

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// found renders scan results compactly: "via ref @line:col" for images
// and "? expr @line:col: reason" for unresolved references.
func found(imgs []ImageRef, un []Unresolved) []string {
	out := []string{}
	for _, i := range imgs {
		s := fmt.Sprintf("%s %s @%d:%d", i.Via, i.Ref, i.Pos.Line, i.Pos.Column)
		if i.Name != "" {
			s += " name=" + i.Name
		}
		out = append(out, s)
	}
	for _, u := range un {
		out = append(out, fmt.Sprintf("? %s @%d:%d: %s", u.Expr, u.Pos.Line, u.Pos.Column, u.Reason))
	}
	return out
}

func TestScanGo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string
	}{
		{"literal", "package m\nfunc f() { dag.Container().From(\"alpine:3\") }",
			[]string{"from alpine:3 @2:33"}},
		{"legacy client", "package m\nfunc f() { client.Pipeline(\"x\").Container().From(`golang:1.22`) }",
			[]string{"from golang:1.22 @2:50"}},
		{"const and concat", "package m\nconst (\n\trepo = \"golang\"\n\tgoImg = repo + \":1.22\"\n)\nfunc f() { c.From(goImg) }",
			[]string{"const golang:1.22 @6:19 name=goImg"}},
		{"const used twice", "package m\nconst img = \"a:1\"\nfunc f() { c.From(img); c.From(img) }",
			[]string{"const a:1 @3:19 name=img", "const a:1 @3:32 name=img"}},
		{"sprintf with literal arguments", "package m\nconst v = \"20\"\nfunc f() { c.From(fmt.Sprintf(\"node:%s-%v\", v, \"alpine\")); c.From(fmt.Sprintf(\"x/docker:cli\")) }",
			[]string{"from node:20-alpine @3:19", "from x/docker:cli @3:67"}},
		{"parameter with a fallback is not a constant", "package m\nfunc f(version string) { if version == \"\" { version = \"latest\" }; c.From(fmt.Sprintf(\"%s:%s\", \"golang\", version)) }\nfunc g() { version := \"1\"; _ = version }",
			[]string{"? fmt.Sprintf(\"%s:%s\", \"golang\", version) @2:74: built at run time by fmt.Sprintf"}},
		{"bare digest and version@digest constants are not images", "package m\nconst fooImageDigest = \"sha256:" + hex64 + "\"\nconst goVersion = \"11.6.3@sha256:" + hex64 + "\"\n", []string{}},
		{"name + @ + digest: only the pinned whole", "package m\nconst (\n\timg = \"rust:1.77\"\n\timgDigest = \"sha256:" + hex64 + "\"\n)\nfunc f() { c.From(img + \"@\" + imgDigest) }",
			[]string{"from rust:1.77@sha256:" + hex64 + " @6:19"}},
		{"var reassigned", "package m\nfunc f() { img := \"a:1\"; img = \"b:2\"; c.From(img) }",
			[]string{"possible a:1 @2:46 name=img", "possible b:2 @2:46 name=img"}},
		{"switch assigns constants on every branch", "package m\nconst base = \"golang\"\nfunc f(arch string) {\n\tvar img string\n\tswitch arch {\n\tcase \"arm64\":\n\t\timg = base + \":1.22-arm\"\n\tdefault:\n\t\timg = \"golang:1.22@sha256:" + hex64 + "\"\n\t}\n\tc.From(img)\n}",
			[]string{"possible golang:1.22-arm @11:9 name=img", "possible golang:1.22@sha256:" + hex64 + " @11:9 name=img"}},
		{"one branch from a parameter stays unresolved", "package m\nfunc f(p string, x bool) {\n\timg := \"a:1\"\n\tif x {\n\t\timg = p\n\t}\n\tc.From(img)\n}",
			[]string{"? img @7:9: variable img is assigned more than once"}},
		{"sprintf", "package m\nfunc f(v string) { c.From(fmt.Sprintf(\"node:%s\", v)) }",
			[]string{"? fmt.Sprintf(\"node:%s\", v) @2:27: built at run time by fmt.Sprintf"}},
		{"digest concat", "package m\nfunc f(d string) { c.From(\"alpine@\" + d) }",
			[]string{"? \"alpine@\" + d @2:27: concatenation with a value that is not a constant of this file"}},
		{"selector", "package m\nfunc f() { c.From(versions.Go) }",
			[]string{"? versions.Go @2:19: versions.Go is defined outside this file or at run time"}},
		{"parameter", "package m\nfunc f(img string) { c.From(img) }",
			[]string{"? img @2:29: img is not a string constant of this file (a parameter, field or value from another file)"}},
		{"comment", "package m\n// c.From(\"commented:1\")\n/* c.From(\"block:1\") */\nfunc f() {}", []string{}},
		{"invalid ref", "package m\nfunc f() { c.From(\"Not An Image\") }",
			[]string{"? \"Not An Image\" @2:19: not a valid image reference: image reference contains whitespace or non-ASCII characters"}},
		{"pragma param", "package m\nfunc (m *M) Base(\n\t// renovate: datasource=docker depName=golang\n\t// +optional\n\t// +default=\"golang:1.23@sha256:" + hex64 + "\"\n\timage string,\n) { c.From(image) }",
			[]string{"default golang:1.23@sha256:" + hex64 + " @5:14 name=image"}},
		{"pragma field", "package m\ntype M struct {\n\t// +default=\"alpine:3.20\"\n\tBase string\n}\nfunc (m *M) f() { c.From(m.Base) }",
			[]string{"default alpine:3.20 @3:14 name=Base"}},
		{"constructor default stored in a field", "package m\ntype M struct{ Image string }\nfunc New(\n\t// +default=\"alpine:3.20\"\n\timage string,\n) *M { return &M{Image: image} }\nfunc (m *M) f() { c.From(m.Image); c.From(m.Other) }",
			[]string{"default alpine:3.20 @4:14 name=image", "? m.Other @7:43: m.Other is defined outside this file or at run time"}},
		{"pragma non-images", "package m\n// +default=\"alpine\"\n// +default=\"1.22\"\n// +default=\"registry:5000/foo\"\n// +default=\"localhost:5000\"\n// +default=\"broken\nfunc f() {}", []string{}},
		{"image const unused", "package m\nconst baseImage = \"ubuntu:24.04\"\nconst addr = \"redis:7\"\nconst pinned = \"x/y:1@sha256:" + hex64 + "\"",
			[]string{"const ubuntu:24.04 @2:19 name=baseImage", "const x/y:1@sha256:" + hex64 + " @4:16 name=pinned"}},
		{"From with two args is not a container", "package m\nfunc f() { x.From(\"a:1\", 2) }", []string{}},
		{"concatenation with a parameter default", "package m\nfunc (m *M) Db(\n\t// +default=\"16\"\n\tversion string,\n) { c.From(\"postgres:\" + version); c.From(fmt.Sprintf(\"postgres:%s-alpine\", version)) }\nfunc g(version string) { c.From(\"postgres:\" + version) }",
			[]string{"default postgres:16 @5:12 name=version (default at m.go:3)", "default postgres:16-alpine @5:43 name=version (default at m.go:3)",
				"? \"postgres:\" + version @6:33: concatenation with a value that is not a constant of this file"}},
		{"concatenation with a field default", "package m\ntype M struct {\n\t// +default=\"3.20\"\n\tVersion string\n}\nconst repo = \"alpine\"\nfunc (m *M) f() { c.From(repo + \":\" + m.Version) }",
			[]string{"default alpine:3.20 @7:26 name=Version (default at m.go:3)"}},
		{"bare parameter with a non-image default stays unresolved", "package m\nfunc f(\n\t// +default=\"16\"\n\tversion string,\n) { c.From(version) }",
			[]string{"? version @5:12: version is not a string constant of this file (a parameter, field or value from another file)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			imgs, un, err := ScanGo("m.go", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, found(imgs, un)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestScanPython(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string
	}{
		{"literal", "dag.container().from_(\"alpine:3\")", []string{"from alpine:3 @1:23"}},
		{"keyword", "dag.container().from_(platform=p, address='redis:7.4')", []string{"from redis:7.4 @1:43"}},
		{"implicit concat", "c.from_(\"python:3.13\"\n  \"-slim\")", []string{"from python:3.13-slim @1:9"}},
		{"parenthesized default", "@function\ndef build(self, image: str = (\"alpine:3.20\")) -> dagger.Container:\n    return dag.container().from_(image)",
			[]string{"param alpine:3.20 @2:31 name=image"}},
		{"parenthesized implicit concat default", "def build(image: Annotated[str, Doc(\"x\")] = (\n    \"python:3.13\"\n    \"-slim\"\n)):\n    pass",
			[]string{"annotated python:3.13-slim @2:5 name=image"}},
		{"parenthesized call is not a default", "def build(image: str = (get(\"alpine:3.20\"))):\n    pass", []string{}},
		{"constant", "IMG = \"node:20\"\nc.from_(IMG)", []string{"const node:20 @2:9 name=IMG"}},
		{"typed constant", "IMG: str = \"node:20\"\nc.from_(IMG)", []string{"const node:20 @2:9 name=IMG"}},
		{"constant redefined", "IMG = \"a:1\"\nIMG = \"b:2\"\nc.from_(IMG)",
			[]string{"? IMG @3:9: IMG is defined more than once or not as a plain string"}},
		{"indented is a constant of the function, not of the module", "def f():\n    IMG = \"a:1\"\n    c.from_(IMG)\ndef g():\n    c.from_(IMG)",
			[]string{"const a:1 @3:13 name=IMG", "? IMG @5:13: IMG is not a constant of this file (a parameter, field or import)"}},
		{"f-string", "c.from_(f\"python:{v}-slim\")", []string{"? f\"python:{v}-slim\" @1:9: f-string built at run time"}},
		{"f-string of constants", "PY = \"3.13\"\nc.from_(f\"python:{PY}-slim\")", []string{"template python:3.13-slim @2:9"}},
		{"f-string with a format spec", "PY = \"3.13\"\nc.from_(f\"python:{PY!r}\")", []string{"? f\"python:{PY!r}\" @2:9: f-string built at run time"}},
		{"nested f-string", "c.from_(f\"a:{x[\"k\"]}\")\nc.from_(\"b:1\")",
			[]string{"from b:1 @2:9", "? f\"a:{x[\"k\"]}\" @1:9: f-string built at run time"}},
		{"call", "c.from_(image_for(v))", []string{"? image_for(v) @1:9: built at run time by a call"}},
		{"comments and strings", "# c.from_(\"x:1\")\ns = \"c.from_('y:1')\"\nt = '''\nc.from_(\"z:1\")\n'''", []string{}},
		{"def from_", "def from_(self, address: str): pass", []string{}},
		{"annotated default", "def f(image: Annotated[str, Doc(\"base\")] = \"golang:1.23\"): pass",
			[]string{"annotated golang:1.23 @1:44 name=image"}},
		{"from on annotated parameter", "def f(image: Annotated[str, Doc(\"b\")] = \"golang:1.23\"):\n    return c.from_(image)\ndef g(other: str):\n    return c.from_(other)",
			[]string{"annotated golang:1.23 @1:41 name=image", "? other @4:20: other is not a constant of this file (a parameter, field or import)"}},
		{"annotated non-image", "def f(distro: Annotated[str, Doc(\"x\")] = \"alpine\", v: Annotated[str, Doc(\"\")] = \"1.22\"): pass", []string{}},
		{"field default", "base: str = field(default=\"alpine:3.20\")", []string{"default alpine:3.20 @1:27 name=base"}},
		{"dataclass field default in a concatenation", "class M:\n    version: str = dataclasses.field(default=\"16\")\n    def db(self):\n        return c.from_(\"postgres:\" + self.version)",
			[]string{"default postgres:16 @4:24 name=version (default at m.py:2)"}},
		{"defaults of other annotations and untyped parameters", "@function\ndef a(self, version: Optional[str] = \"16\"):\n    return c.from_(\"postgres:\" + version)\n" +
			"def b(self, version: str | None = \"17\"):\n    return c.from_(\"postgres:\" + version)\n" +
			"def d(self, *, version=\"18\", image=\"alpine:3.20\"):\n    return c.from_(f\"postgres:{version}\")",
			// (the defaults of these parameters are read before the loop of scanPython)
			[]string{"param alpine:3.20 @6:36 name=image", "default postgres:16 @3:20 name=version (default at m.py:2)",
				"default postgres:17 @5:20 name=version (default at m.py:4)", "default postgres:18 @7:20 name=version (default at m.py:6)"}},
		{"str param default", "def f(self, base: str = \"alpine:3.20\"): pass", []string{"param alpine:3.20 @1:25 name=base"}},
		{"image constant unused", "BASE_IMAGE = \"ubuntu:24.04\"\nPORT = \"localhost:5000\"\nVERSION = \"3:1\"", []string{"const ubuntu:24.04 @1:14 name=BASE_IMAGE"}},
		{"raw and escapes", "c.from_(r\"a:1\")\nc.from_(\"b:\\x31\")", []string{"from a:1 @1:9", "? \"b:\\x31\" @2:9: not a string literal or constant of this file"}},
		{"concatenation with a parameter default", "@function\ndef db(self, version: str = \"16\") -> dagger.Container:\n    return dag.container().from_(\"postgres:\" + version)\ndef other(self, x: str) -> dagger.Container:\n    return dag.container().from_(\"postgres:\" + version)",
			[]string{"default postgres:16 @3:34 name=version (default at m.py:2)", "? \"postgres:\" + version @5:34: built from names that are not constants of this file (parameters, fields or imports)"}},
		{"f-string with a parameter default", "def py(self, v: Annotated[str, Doc(\"x\")] = \"3.13\"):\n    return c.from_(f\"python:{v}-slim\")",
			[]string{"default python:3.13-slim @2:20 name=v (default at m.py:1)"}},
		{"f-string with a field default and a constant", "REPO = \"python\"\nclass M:\n    version: str = \"3.12\"\n    def f(self):\n        return c.from_(f\"{REPO}:{self.version}\")",
			[]string{"default python:3.12 @5:24 name=version (default at m.py:3)"}},
		{"concatenation of constants", "REPO = \"python\"\nc.from_(REPO + \":3.13\")", []string{"concat python:3.13 @2:9"}},
		{"bare digest and version@digest constants are not images; name + @ + digest is the pinned whole", "FOO_IMAGE_DIGEST = \"sha256:" + hex64 + "\"\nGO_VERSION = \"11.6.3@sha256:" + hex64 + "\"\n" +
			"IMG = \"rust:1.77\"\nIMG_DIGEST = \"sha256:" + hex64 + "\"\ndef f(self):\n    return c.from_(IMG + \"@\" + IMG_DIGEST)\n",
			[]string{"concat rust:1.77@sha256:" + hex64 + " @6:20"}},
		{"local variable assigned constants on every branch", "def f(self, arch: str):\n    if arch == \"arm64\":\n        img = \"golang:1.22-arm\"\n    else:\n        img = \"golang:1.22\"\n    return c.from_(img)\ndef g(self):\n    img = \"x:1\"\n    return c.from_(img)",
			[]string{"possible golang:1.22-arm @6:20 name=img", "possible golang:1.22 @6:20 name=img",
				"const x:1 @9:20 name=img"}},
		{"local variable assigned constants, concatenations and conditional expressions", "BASE = \"golang\"\nPINNED = \"golang:1.23@sha256:" + hex64 + "\"\n" +
			"def f(self, arch: str):\n    if arch == \"arm64\":\n        img = BASE + \":1.22-arm\"\n    elif arch == \"s390x\":\n        img = f\"{BASE}:1.22\"\n    else:\n        img = PINNED\n    return c.from_(img)\n" +
			"def g(self, slim: bool):\n    img = (\"debian:12-slim\" if slim else \"debian:12\")\n    return c.from_(img)",
			[]string{"possible golang:1.22-arm @10:20 name=img", "possible golang:1.22 @10:20 name=img", "possible golang:1.23@sha256:" + hex64 + " @10:20 name=img",
				"possible debian:12-slim @13:20 name=img", "possible debian:12 @13:20 name=img"}},
		{"local variable with one branch from elsewhere stays unresolved", "def f(self, p: str, x: bool):\n    img = \"a:1\"\n    if x:\n        img = p\n    return c.from_(img)\ndef g(self, img: str):\n    if not img:\n        img = \"b:1\"\n    return c.from_(img)\ndef h(self):\n    img = \"a:1\"\n    img += \"-slim\"\n    img = \"b:2\"\n    return c.from_(img)",
			[]string{"? img @5:20: img is not a constant of this file (a parameter, field or import)", "? img @9:20: img is not a constant of this file (a parameter, field or import)",
				"? img @14:20: img is not a constant of this file (a parameter, field or import)"}},
		{"hostile: a pinned constant hiding an assignment of another kind", "P = \"a:1@sha256:" + hex64 + "\"\n" +
			"def f(self):\n    img = P\n    img, _ = \"evil:latest\", 0\n    return c.from_(img)\n" +
			"def g(self):\n    img = \"a:1\"\n    img: str = \"evil:latest\"\n    return c.from_(img)\n" +
			"def h(self, xs):\n    img = \"a:1\"\n    for img in xs:\n        pass\n    return c.from_(img)\n" +
			"def k(self, d):\n    img = \"a:1\"\n    d[img] = 1\n    return c.from_(img)",
			// g's annotated assignment is reported where it is written; it does not hide k's img
			[]string{"param evil:latest @8:16 name=img", "const a:1 @18:20 name=img", "const a:1@sha256:" + hex64 + " @1:5 name=P",
				"? img @5:20: img is not a constant of this file (a parameter, field or import)", "? img @14:20: img is not a constant of this file (a parameter, field or import)"}},
		{"bare parameter with a non-image default stays unresolved", "def f(self, v: str = \"16\"):\n    return c.from_(v)",
			[]string{"? v @2:20: v is not a constant of this file (a parameter, field or import)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			imgs, un, err := ScanPython("m.py", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, found(imgs, un)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestScanTypeScript(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string
	}{
		{"literal", "dag.container().from(\"alpine:3\")", []string{"from alpine:3 @1:22"}},
		{"single quote and template", "c.from('a:1'); c.from(`b:2`)", []string{"from a:1 @1:8", "from b:2 @1:23"}},
		{"const", "const IMG: string = \"node:22\"\nc.from(IMG)", []string{"const node:22 @2:8 name=IMG"}},
		{"let reassigned", "let img = \"a:1\"\nimg = \"b:2\"\nc.from(img)",
			[]string{"possible a:1 @3:8 name=img", "possible b:2 @3:8 name=img"}},
		{"switch assigns constants on every branch", "const BASE = \"golang\"\nclass M {\n  @func()\n  build(arch: string): Container {\n    let img: string\n    switch (arch) {\n      case \"arm64\":\n        img = BASE + \":1.22-arm\"\n        break\n      case Arch.Amd64:\n        img = `${BASE}:1.22`\n        break\n      default:\n        img = \"golang:1.22@sha256:" + hex64 + "\"\n    }\n    return dag.container().from(img)\n  }\n}",
			[]string{"possible golang:1.22-arm @16:33 name=img", "possible golang:1.22 @16:33 name=img", "possible golang:1.22@sha256:" + hex64 + " @16:33 name=img"}},
		{"if/else and a conditional expression", "function f(x: boolean) {\n  let img = \"alpine:3.20\";\n  if (x) { img = \"debian:12\"; }\n  return c.from(img)\n}\n" +
			"function g(x: boolean) {\n  const img = x ? \"node:22\" : (\"node:20\")\n  return c.from(img)\n}\nfunction h() {\n  const img = \"a:1\"\n  return c.from(img)\n}",
			[]string{"possible alpine:3.20 @4:17 name=img", "possible debian:12 @4:17 name=img", "possible node:22 @8:17 name=img", "possible node:20 @8:17 name=img",
				"const a:1 @12:17 name=img"}},
		{"a branch from elsewhere stays unresolved", "function f(p: string, x: boolean) {\n  let img = \"a:1\"\n  if (x) { img = p }\n  return c.from(img)\n}\n" +
			"function g() {\n  let img = \"a:1\"\n  img += \"-slim\"\n  return c.from(img)\n}\nfunction h(img: string) {\n  img ??= \"b:1\"\n  return c.from(img)\n}\n" +
			"function k(xs: string[]) {\n  for (const img of xs) { c.from(img) }\n}",
			[]string{"? img @4:17: img is defined more than once or not as a plain string", "? img @9:17: img is defined more than once or not as a plain string",
				"? img @13:17: img is defined more than once or not as a plain string", "? img @16:34: img is defined more than once or not as a plain string"}},
		{"hostile: a parameter's image default does not hide another function's variable", "function a(ref: string = \"a:1@sha256:" + hex64 + "\") { return c.from(ref) }\nfunction b() {\n  let ref = \"evil:1\"\n  return c.from(ref)\n}",
			[]string{"param a:1@sha256:" + hex64 + " @1:26 name=ref", "const evil:1 @4:17 name=ref"}},
		{"hostile: properties named case and default keep their image defaults", "class M {\n  case: string = \"alpine:3.20\"\n  default: string = \"debian:12\"\n}",
			[]string{"param alpine:3.20 @2:18 name=case", "param debian:12 @3:21 name=default"}},
		{"hostile: destructuring and loops assign too", "function f(p: string) {\n  let img = \"a:1@sha256:" + hex64 + "\"\n  ;[img] = [\"evil:latest\"]\n  return c.from(img)\n}\n" +
			"function g(o: any) {\n  let img = \"a:1\"\n  ;({ img } = o)\n  return c.from(img)\n}\nfunction h(xs: string[]) {\n  let img = \"a:1\"\n  for (img of xs) {}\n  return c.from(img)\n}\n" +
			"function k(m: any) {\n  let img = \"a:1\"\n  m[img] = 1\n  return c.from(img)\n}",
			[]string{"const a:1 @19:17 name=img", "? img @4:17: img is defined more than once or not as a plain string", "? img @9:17: img is defined more than once or not as a plain string",
				"? img @14:17: img is defined more than once or not as a plain string"}},
		{"template", "c.from(`rust:${V.rust}-slim`)", []string{"? `rust:${V.rust}-slim` @1:8: template literal built at run time"}},
		{"template of constants", "const NODE = \"22\"\nc.from(`node:${NODE}-alpine`)", []string{"template node:22-alpine @2:8"}},
		{"nested template", "c.from(`a:${f(`x${y}`)}`); c.from(\"b:1\")",
			[]string{"from b:1 @1:35", "? `a:${f(`x${y}`)}` @1:8: template literal built at run time"}},
		{"member", "c.from(VERSIONS.node)", []string{"? VERSIONS.node @1:8: not a string literal or constant of this file"}},
		{"imported", "c.from(NODE)", []string{"? NODE @1:8: NODE is not a constant of this file (a parameter, field or import)"}},
		{"static from", "Array.from(items); Buffer.from(\"x\")", []string{}},
		{"comments", "// c.from(\"a:1\")\n/* c.from(\"b:1\") */ const s = \"c.from('c:1')\"", []string{}},
		{"regex", "const re = /from\\(\"x:1\"\\)/g; const q = a / b / c; c.from(\"d:1\")", []string{"from d:1 @1:58"}},
		{"param default", "build(baseImage: string = \"alpine:3.20\", n = \"x\"): Container {}", []string{"param alpine:3.20 @1:27 name=baseImage"}},
		{"from on defaulted parameter and field", "class M {\n  image?: string = \"wolfi:1\"\n  build(base: string = \"alpine:3\") { c.from(base); c.from(this.image) }\n}",
			[]string{"param wolfi:1 @2:20 name=image", "param alpine:3 @3:24 name=base"}},
		{"optional field default", "@func() image?: string = \"alpine:3.20\"", []string{"param alpine:3.20 @1:26 name=image"}},
		{"image const unused", "export const BASE_IMAGE = \"wolfi:latest\"", []string{"const wolfi:latest @1:27 name=BASE_IMAGE"}},
		{"concat", "const I = \"a\" + \":1\"\nc.from(I)", []string{"const a:1 @2:8 name=I"}},
		{"bare digest and version@digest constants are not images; name + @ + digest is the pinned whole", "const FOO_IMAGE_DIGEST = \"sha256:" + hex64 + "\"\nconst GO_VERSION = \"11.6.3@sha256:" + hex64 + "\"\n" +
			"const IMG = \"rust:1.77\"\nconst IMG_DIGEST = \"sha256:" + hex64 + "\"\nfunction f() {\n  return c.from(IMG + \"@\" + IMG_DIGEST)\n}\n",
			[]string{"concat rust:1.77@sha256:" + hex64 + " @6:17"}},
		{"template with a parameter default", "build(v: string = \"22\"): Container {\n  return c.from(`node:${v}-alpine`)\n}",
			[]string{"default node:22-alpine @2:17 name=v (default at m.ts:1)"}},
		{"concatenation with a parameter default", "db(version = \"16\") { return c.from(\"postgres:\" + version) }",
			[]string{"default postgres:16 @1:36 name=version (default at m.ts:1)"}},
		{"a default of another method or a union type", "db(version = \"16\") { return 1 }\nother(version: string) { return c.from(\"postgres:\" + version) }\n" +
			"cache(v: string | undefined = \"7.4\"): Container { return c.from(`redis:${v}`) }",
			[]string{"default redis:7.4 @3:65 name=v (default at m.ts:3)",
				"? \"postgres:\" + version @2:40: built from names that are not constants of this file (parameters, fields or imports)"}},
		{"template with a property default", "class M {\n  @func() version?: string = \"1.83\"\n  rust() { return c.from(`rust:${this.version}`) }\n}",
			[]string{"default rust:1.83 @3:26 name=version (default at m.ts:2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			imgs, un, err := ScanTypeScript("m.ts", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, found(imgs, un)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestScanErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, src, want string
	}{
		{"go", "package m\nfunc f( {", "m.go:2:9: invalid Go: expected ')', found '{'"},
		{"go", "", "m.go:1:1: invalid Go: expected 'package', found 'EOF'"},
		{"python", "x = 1\ns = \"abc\n", "m.py:2:5: unterminated string literal"},
		{"python", "s = '''abc", "m.py:1:5: unterminated string literal"},
		{"python", "s = f\"{x\"", "m.py:1:9: unterminated string literal"},
		{"typescript", "const s = 'abc\n'", "m.ts:1:11: unterminated string literal"},
		{"typescript", "/* open", "m.ts:1:1: unterminated block comment"},
		{"typescript", "const t = `a${b", "m.ts:1:15: unterminated template literal substitution"},
		{"typescript", strings.Repeat("`${", 300), "m.ts:1:769: template literals nested too deeply"},
	}
	for _, tt := range tests {
		var err error
		switch tt.lang {
		case "go":
			_, _, err = ScanGo("m.go", []byte(tt.src))
		case "python":
			_, _, err = ScanPython("m.py", []byte(tt.src))
		default:
			_, _, err = ScanTypeScript("m.ts", []byte(tt.src))
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s %q: error %v is not a *ParseError", tt.lang, tt.src, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s %q:\n got %s\nwant %s", tt.lang, tt.src, err, tt.want)
		}
	}
}
